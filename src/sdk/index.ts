/**
 * The sdk feature: serves the first-party SDK's script-tag build (sdk/js) to web pages
 * (routes.ts). No config, no storage; the script is built or loaded on first request.
 */
import type { AnyElysia } from 'elysia'
import type { Feature, Started } from '../core/feature'
import { sdkRoutes } from './routes'
import { loadSdkScript } from './script'

export { loadSdkScript } from './script'

export interface SdkRunning extends Started {
  routes: AnyElysia
}

export const sdk: Feature<Record<string, never>, SdkRunning> = {
  name: 'sdk',
  config: [],
  migrations: [],
  start: () => ({ routes: sdkRoutes(loadSdkScript) }),
}
