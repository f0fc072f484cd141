/**
 * The sdk feature: serves the first-party SDK's script-tag build (sdk/js) to web pages
 * (routes.ts, public). No config, no storage; the script is built or loaded on first request.
 */
import type { AnyElysia } from 'elysia'
import type { Core, Feature, Started } from '../core/feature'
import { sdkRoutes } from './routes'
import { loadSdkScript } from './script'

export { loadSdkScript } from './script'

export interface SdkRunning extends Started {
  routes: AnyElysia
}

export type SdkDeps = Pick<Core, 'guard'>

export const sdk: Feature<SdkDeps, SdkRunning> = {
  name: 'sdk',
  config: [],
  migrations: [],
  // No storage of its own: nothing differs between backends.
  backends: ['sqlite', 'postgres'],
  start: (d) => ({ routes: sdkRoutes(d.guard, loadSdkScript) }),
}
