/**
 * The first-party SDK's script-tag build (sdk/js, `bloop.min.js`), as the server serves
 * it. From a source checkout it is built in memory on first use by sdk/js/build.ts's own
 * function, so the bytes and the integrity hash are those of `npm run build` in sdk/js.
 * The compiled executable embeds the result at build time (root build.ts, the virtual
 * module `bloop:sdk-script`) and never runs the bundler.
 */
import type { ScriptBuild } from '../../sdk/js/build'

export type { ScriptBuild } from '../../sdk/js/build'

let current: Promise<ScriptBuild> | null = null

export function loadSdkScript(): Promise<ScriptBuild> {
  if (current) return current
  const p: Promise<ScriptBuild> =
    process.env.BLOOP_EMBEDDED_ASSETS === '1'
      ? import('bloop:sdk-script').then((m) => m.default as ScriptBuild)
      : import('../../sdk/js/build').then((m) => m.buildScript())
  current = p
  // A failed build is retried on the next request instead of being cached.
  p.catch(() => {
    if (current === p) current = null
  })
  return p
}
