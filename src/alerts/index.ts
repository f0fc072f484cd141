/**
 * The alerting feature: rules per project (new issue, threshold, spike), evaluated on
 * every batch the errors feature commits (engine.ts, rules.ts), delivered in the
 * background to Slack, webhooks and e-mail (dispatch.ts, channels/), with a delivery log.
 * `Alerting` (service.ts) is the running part; the API is routes.ts.
 */
import type { AnyElysia } from 'elysia'
import type { Config } from '../config/schema'
import type { Core, Feature, Started } from '../core/feature'
import type { ErrorsCommitListener } from '../errors'
import m003pg from './migrations/003_alerts.pg.sql' with { type: 'text' }
import m003 from './migrations/003_alerts.sql' with { type: 'text' }
import m007pg from './migrations/007_delivery_issue_title.pg.sql' with { type: 'text' }
import m007 from './migrations/007_delivery_issue_title.sql' with { type: 'text' }
import m202612020530pg from './migrations/202612020530_llm_rule_types.pg.sql' with { type: 'text' }
import m202612020530 from './migrations/202612020530_llm_rule_types.sql' with { type: 'text' }
import { alertsRoutes } from './routes'
import { Alerting } from './service'
import type { Resolver } from './ssrf'

export type { LlmMeasures, LlmMonth, LlmTriggerStats, LlmWindow } from './llm'
export { Alerting } from './service'
export type { Resolver } from './ssrf'

const CONFIG = ['alerting', 'smtp', 'auth'] as const

export interface AlertsDeps extends Pick<Core, 'backend' | 'guard' | 'log' | 'now' | 'metrics'> {
  config: Pick<Config, (typeof CONFIG)[number]>
  /** Subscribes to the errors feature's committed batches. */
  onErrorsCommit: (listener: ErrorsCommitListener) => void
  /** DNS resolver for the URL policy; tests pass one to simulate rebinding. */
  resolve?: Resolver
}

export interface AlertsRunning extends Started {
  routes: AnyElysia
  alerting: Alerting
}

export const alerts: Feature<AlertsDeps, AlertsRunning> = {
  name: 'alerts',
  config: CONFIG,
  migrations: [
    { file: '003_alerts.sql', sql: m003, pg: m003pg },
    { file: '007_delivery_issue_title.sql', sql: m007, pg: m007pg },
    { file: '202612020530_llm_rule_types.sql', sql: m202612020530, pg: m202612020530pg },
  ],
  backends: ['sqlite', 'postgres'],

  async start(d) {
    const alerting = new Alerting({ ...d, registry: d.metrics.registry })
    // Rules and cooldowns are loaded before the first commit can reach the engine.
    await alerting.start()
    d.onErrorsCommit(alerting.onCommit)
    return {
      routes: alertsRoutes({ ...d, alerts: alerting }),
      alerting,
      // Every ingest queue has drained before stop (so batches still committing fired
      // their alerts); now deliveries in flight finish or are dropped.
      stop: () => alerting.close(),
    }
  },
}
