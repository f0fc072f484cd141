/**
 * Copy-paste setup snippets for a project, pure: the endpoint, the project's ingest key
 * and its Sentry DSN go in; text comes out. Every bloop snippet signs the exact body with
 * HMAC-SHA256 keyed by the project key (`X-Project-Key` + `X-Signature`) and sends
 * millisecond timestamps, as the official SDKs do. The JavaScript, script-tag and React
 * Native snippets use the first-party SDK (sdk/js), which the server itself serves at /sdk/.
 */

export interface SnippetInput {
  /** Where clients reach bloop, e.g. https://errors.example.com (no trailing slash). */
  endpoint: string
  key: string
  dsn: string | null
  /** The served SDK script's versioned URL and integrity (GET /sdk/manifest.json), if known. */
  script?: { url: string; integrity: string } | null
}

export interface Snippet {
  id: string
  label: string
  /** Install step, when the platform needs one. */
  install?: string
  code: string
}

const q = (s: string) => JSON.stringify(s)

export function snippets({ endpoint, key, dsn, script }: SnippetInput): Snippet[] {
  const list: Snippet[] = [
    {
      id: 'curl',
      label: 'curl',
      code: `KEY=${q(key)}
BODY='{"timestamp":'$(date +%s000)',"source":"api","environment":"production","release":"1.0.0","error_type":"TypeError","message":"Cannot read properties of undefined","route_or_procedure":"/api/users"}'
SIG=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$KEY" | awk '{print $NF}')
curl -sS -X POST ${endpoint}/v1/ingest \\
  -H "Content-Type: application/json" -H "X-Project-Key: $KEY" -H "X-Signature: $SIG" \\
  -d "$BODY"`,
    },
    {
      id: 'npm',
      label: 'JavaScript',
      install: 'npm install bloop-sdk   # browsers, Node.js, Bun, Deno, edge workers (sdk/js)',
      code: `import { init, captureException } from 'bloop-sdk'

init({
  endpoint: ${q(endpoint)},
  projectKey: ${q(key)},
  environment: 'production',
  release: '1.0.0',
})

// Uncaught errors and unhandled rejections are captured by themselves.
try {
  riskyOperation()
} catch (err) {
  captureException(err, { route: 'POST /api/users', httpStatus: 500 })
}`,
    },
    {
      id: 'script',
      label: 'Script tag',
      install: 'No build step: paste into your page, before other scripts.',
      code: `<script src=${q(endpoint + (script?.url ?? '/sdk/bloop.min.js'))}${
        script ? `\n        integrity=${q(script.integrity)} crossorigin="anonymous"` : ''
      }
        data-endpoint=${q(endpoint)} data-project-key=${q(key)}
        data-environment="production" data-release="1.0.0"></script>
<script>
  // window.Bloop: errors and unhandled rejections are captured by themselves.
  Bloop.captureMessage('checkout page loaded')
</script>`,
    },
    {
      id: 'react-native',
      label: 'React Native',
      install: 'npm install bloop-sdk @react-native-async-storage/async-storage',
      code: `import AsyncStorage from '@react-native-async-storage/async-storage'
import { AppState } from 'react-native'
import { init, setScreen } from 'bloop-sdk/react-native'

init({
  endpoint: ${q(endpoint)},
  projectKey: ${q(key)},
  environment: 'production',
  release: '1.0.0',
  storage: AsyncStorage, // events wait offline and are sent later
  appState: AppState, // flush when the app goes to the background
})
setScreen('HomeScreen')`,
    },
    {
      id: 'swift',
      label: 'Swift',
      install: 'Swift Package Manager: https://github.com/jaikoo/bloop-swift',
      code: `let bloop = BloopClient(url: URL(string: ${q(endpoint)})!, projectKey: ${q(key)})

try await bloop.send(event: [
    "timestamp": Int(Date().timeIntervalSince1970 * 1000),
    "source": "ios",
    "environment": "production",
    "release": "1.0.0",
    "error_type": "NetworkError",
    "message": "Request timed out",
    "screen": "HomeViewController",
])`,
    },
    {
      id: 'kotlin',
      label: 'Kotlin',
      install: 'implementation("com.bloop:bloop-client:0.1.0")',
      code: `val bloop = BloopClient(${q(endpoint)}, ${q(key)})

bloop.send(JSONObject().apply {
    put("timestamp", System.currentTimeMillis())
    put("source", "android")
    put("environment", "production")
    put("release", "1.0.0")
    put("error_type", "IllegalStateException")
    put("message", "Fragment not attached to activity")
    put("screen", "ProfileFragment")
})`,
    },
    {
      id: 'python',
      label: 'Python',
      install: 'pip install bloop-sdk',
      code: `from bloop import BloopClient

client = BloopClient(${q(endpoint)}, ${q(key)}, environment="production", release="1.0.0")

try:
    risky_operation()
except Exception as e:
    import traceback
    client.capture(type(e).__name__, str(e), stack=traceback.format_exc(), route_or_procedure="/api/users")`,
    },
    {
      id: 'ruby',
      label: 'Ruby',
      install: 'gem install bloop-sdk',
      code: `require "bloop"

client = Bloop::Client.new(endpoint: ${q(endpoint)}, project_key: ${q(key)},
                           environment: "production", release: "1.0.0")

begin
  risky_operation
rescue => e
  client.capture_exception(e)
end`,
    },
  ]
  if (dsn) {
    list.push({
      id: 'sentry',
      label: 'Sentry SDK',
      install: 'Any Sentry SDK works: point its DSN at bloop.',
      code: `// JavaScript (@sentry/browser, @sentry/node, ...)
Sentry.init({ dsn: ${q(dsn)}, release: '1.0.0', environment: 'production' })

# Python (sentry-sdk)
sentry_sdk.init(dsn=${q(dsn)}, release="1.0.0", environment="production")`,
    })
  }
  return list
}
