/**
 * `npm run bench -- alerts`: what alert evaluation costs batch ingest, and why windows are
 * counted in memory (src/alerts/engine.ts). Each scenario drives the real app in process
 * (signed batches of 100 events through the ingest route, the writer thread and the commit
 * hook) on a fresh SQLite file and prints events per second:
 *
 * - baseline: no alert rules;
 * - rules: ten enabled rules (4 threshold, 3 spike, 3 new-issue) counted in memory;
 * - index: no rules, plus the raw_events(project_id, received_at) index a per-batch
 *   COUNT query would need;
 * - query: that index plus ten COUNT(*) window queries per committed batch, i.e. the
 *   road not taken.
 *
 * Then the warm-up: how long loading ten counting rules takes over the events stored.
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { insertRule } from '../src/alerts/store'
import { testConfig } from '../src/config/load'
import { sign } from '../src/errors/ingest/hmac'
import { createLogger } from '../src/ops/log'
import { buildRuntime, type Runtime } from '../src/server'
import { TEST_SECRET, tempDir } from '../test/helpers'

const TOTAL = Number(process.env.BENCH_EVENTS ?? 200_000)
const BATCH = 100
const IN_FLIGHT = 16
const ISSUES = 50
const ENVIRONMENTS = ['production', 'staging']
const ROUTES = ['/api/users', '/api/checkout', '/api/search', null]

function bodies(): string[] {
  const out: string[] = []
  let n = 0
  for (let b = 0; b < 64; b++) {
    const events = Array.from({ length: BATCH }, () => {
      n++
      return {
        timestamp: Date.now(),
        source: 'api',
        environment: ENVIRONMENTS[n % ENVIRONMENTS.length],
        release: `1.0.${n % 3}`,
        error_type: 'TypeError',
        message: `failure kind ${String.fromCharCode(97 + ((n % ISSUES) % 26))}${String.fromCharCode(97 + Math.floor((n % ISSUES) / 26))}`,
        route_or_procedure: ROUTES[n % ROUTES.length],
        stack: 'TypeError: x\n    at handler (src/api.ts:10:5)\n    at run (src/server.ts:20:3)',
      }
    })
    out.push(JSON.stringify({ events }))
  }
  return out
}

const RULES = [
  { type: 'threshold', threshold: 1_000_000, window_secs: 60 },
  { type: 'threshold', threshold: 1_000_000, window_secs: 300, route: '/api/checkout' },
  { type: 'threshold', threshold: 1_000_000, window_secs: 3600 },
  { type: 'threshold', threshold: 1_000_000, window_secs: 600, fingerprint: 'nope' },
  { type: 'spike', multiplier: 1000, baseline_window_secs: 3600, compare_window_secs: 60, min_events: 10 },
  { type: 'spike', multiplier: 1000, baseline_window_secs: 86_400, compare_window_secs: 300, min_events: 10 },
  { type: 'spike', multiplier: 1000, baseline_window_secs: 600, compare_window_secs: 60, min_events: 10 },
  { type: 'new_issue' },
  { type: 'new_issue', environment: 'production' },
  { type: 'new_issue' },
] as const

/** Main-thread time spent evaluating alerts in the commit hook (engine or COUNT queries). */
let hookMs = 0

async function scenario(
  name: string,
  setup: (rt: Runtime) => void | Promise<void>,
): Promise<{ rate: number; writerUs: number; alertUs: number; rt: Runtime; dir: string }> {
  const dir = tempDir('bloop-bench-')
  const config = testConfig({
    database: { path: join(dir, 'bloop.db') },
    auth: { hmac_secret: TEST_SECRET },
    log: { level: 'error' },
    rate_limit: { per_second: 1_000_000, burst_size: 1_000_000 },
  })
  const rt = await buildRuntime(config, { log: createLogger('error') })
  await setup(rt)
  // Direct costs, less exposed to other load on the machine than throughput: time the
  // writer spent committing, and time the alert engine spent in the commit hook.
  let writerMs = 0
  hookMs = 0
  rt.features.errors.queue.onCommit((r) => {
    writerMs += r.duration_ms
  })
  const engine = rt.features.alerts.alerting.engine
  if (engine) {
    const evaluate = engine.onCommit.bind(engine)
    engine.onCommit = (r, e) => {
      const t = performance.now()
      const out = evaluate(r, e)
      hookMs += performance.now() - t
      return out
    }
  }
  const payloads = bodies()
  const signatures = payloads.map((p) => sign(TEST_SECRET, p))
  let sent = 0
  let i = 0
  const started = performance.now()
  async function worker() {
    while (sent < TOTAL) {
      sent += BATCH
      const k = i++ % payloads.length
      const res = await rt.handle(
        new Request('http://localhost/v1/ingest/batch', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-signature': signatures[k] as string },
          body: payloads[k],
        }),
      )
      if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`)
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
  const secs = (performance.now() - started) / 1000
  const rate = sent / secs
  const writerUs = (writerMs * 1000) / sent
  const alertUs = (hookMs * 1000) / sent
  console.log(
    `  ${name.padEnd(10)} ${Math.round(rate).toLocaleString('en').padStart(8)} events/s  (${secs.toFixed(2)} s; ` +
      `commit ${writerUs.toFixed(2)} µs/event, alert hook ${alertUs.toFixed(2)} µs/event)`,
  )
  return { rate, writerUs, alertUs, rt, dir }
}

async function addRules(rt: Runtime): Promise<void> {
  for (const [k, config] of RULES.entries()) {
    const r = await insertRule(
      rt.core.backend,
      { name: `bench ${k}`, project_id: 'default', enabled: true, config: config as never, created_by: null },
      Date.now(),
    )
    await rt.features.alerts.alerting.ruleChanged(r.id)
  }
}

const addIndex = (rt: Runtime) =>
  rt.core.db.run(
    'CREATE INDEX IF NOT EXISTS raw_events_project_received ON raw_events(project_id, received_at)',
  )

async function done(s: { rt: Runtime; dir: string }) {
  await s.rt.close()
  rmSync(s.dir, { recursive: true, force: true })
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const SCENARIOS: [string, (rt: Runtime) => void | Promise<void>][] = [
  ['baseline', () => {}],
  ['rules', addRules],
  ['index', addIndex],
  [
    'query',
    (rt: Runtime) => {
      addIndex(rt)
      const windows = [60, 300, 3600, 600, 3660, 86_700, 660, 60, 60, 60]
      const count = rt.core.db.query(
        'SELECT count(*) AS n FROM raw_events WHERE project_id = ? AND received_at > ?',
      )
      rt.features.errors.queue.onCommit(() => {
        const t = performance.now()
        for (const w of windows) count.get('default', Date.now() - w * 1000)
        hookMs += performance.now() - t
      })
    },
  ],
]

console.log(
  `batch ingest, ${BATCH} events per request, ${IN_FLIGHT} requests in flight, ${TOTAL} events per run, ${ROUNDS} rounds`,
)
const rates: Record<string, number[]> = {}
const writer: Record<string, number[]> = {}
const hook: Record<string, number[]> = {}
const warmups: number[] = []
const record = (into: Record<string, number[]>, name: string, value: number) => {
  into[name] = [...(into[name] ?? []), value]
}
for (let round = 0; round < ROUNDS; round++) {
  // Rotate the order so that warm-up effects and background load do not favour one scenario.
  for (let k = 0; k < SCENARIOS.length; k++) {
    const [name, setup] = SCENARIOS[(k + round) % SCENARIOS.length] as [
      string,
      (rt: Runtime) => void | Promise<void>,
    ]
    const s = await scenario(name, setup)
    record(rates, name, s.rate)
    record(writer, name, s.writerUs)
    record(hook, name, s.alertUs)
    if (name === 'rules') {
      const started = performance.now()
      s.rt.features.alerts.alerting.engine.load()
      warmups.push(performance.now() - started)
    }
    await done(s)
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const base = median(rates.baseline as number[])
console.log('\nmedian of the rounds:')
for (const [name] of SCENARIOS) {
  const m = median(rates[name] as number[])
  const d = ((m - base) / base) * 100
  const delta = name === 'baseline' ? '' : `${d >= 0 ? '+' : ''}${d.toFixed(1)}%`
  console.log(
    `${name.padEnd(10)} ${Math.round(m).toLocaleString('en').padStart(8)} events/s ${delta.padStart(7)}   ` +
      `commit ${median(writer[name] as number[]).toFixed(2)} µs/event, alert hook ${median(hook[name] as number[]).toFixed(2)} µs/event`,
  )
}
console.log(`warm-up of 10 rules over ${TOTAL} stored events: median ${median(warmups).toFixed(0)} ms`)
