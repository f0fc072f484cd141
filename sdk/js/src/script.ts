/**
 * The script-tag build (bloop.min.js): the browser entry as the global `Bloop`. With
 * `data-endpoint` and `data-project-key` on its own <script> tag it also calls init():
 *
 *   <script src="https://bloop.example.com/sdk/bloop.min.js"
 *           data-endpoint="https://bloop.example.com" data-project-key="..."
 *           data-environment="production" data-release="web@1.2.3"></script>
 */
import * as Bloop from './browser'

;(globalThis as unknown as { Bloop: typeof Bloop }).Bloop = Bloop

const script = (globalThis as { document?: Document }).document?.currentScript as HTMLScriptElement | null
const d = script?.dataset
if (d?.projectKey) {
  Bloop.init({
    endpoint: d.endpoint || new URL(script?.src ?? '', location.href).origin,
    projectKey: d.projectKey,
    environment: d.environment,
    release: d.release,
  })
}
