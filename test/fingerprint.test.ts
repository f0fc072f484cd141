import { describe, expect, test } from 'bun:test'
import { computeFingerprint, hash64, normalizeMessage, topFrame } from '../src/pipeline/fingerprint'

describe('message normalisation', () => {
  const cases: [string, string][] = [
    ['Error at 192.168.1.1 for user abc123', 'error at <ip> for user abc<n>'],
    ['Failed for 550e8400-e29b-41d4-a716-446655440000', 'failed for <uuid>'],
    ['  Timeout after 5000ms  ', 'timeout after <n>ms'],
    ['No mail for Alice.Smith+test@example.co.uk today', 'no mail for <email> today'],
    ['connect to fe80::1ff:fe23:4567:890a failed', 'connect to <ip> failed'],
    ['peer 2001:0db8:85a3:0000:0000:8a2e:0370:7334 reset', 'peer <ip> reset'],
    ['segfault at 0x7ffee4b2c8a0', 'segfault at <hex>'],
    ['object deadbeef01 missing', 'object <hex> missing'],
    ['Foo::Bar not found', 'foo::bar not found'],
    ['unexpected token } in JSON at position 42', 'unexpected token } in json at position <n>'],
  ]
  for (const [input, expected] of cases) {
    test(`"${input.trim()}" becomes "${expected}"`, () => expect(normalizeMessage(input)).toBe(expected))
  }
})

// Real stacks as each platform prints them: [name, stack, expected top frame].
const STACKS: [string, string, string][] = [
  [
    'browser JS (Chrome)',
    `TypeError: Cannot read properties of undefined (reading 'id')
    at renderProfile (https://app.example.com/assets/index-4f2a.js:12:3456)
    at HTMLButtonElement.onclick (https://app.example.com/assets/index-4f2a.js:40:12)`,
    'at renderProfile (https://app.example.com/assets/index-4f2a.js)',
  ],
  [
    'browser JS (Firefox/Safari)',
    `renderProfile@https://app.example.com/assets/index-4f2a.js:12:3456
onclick@https://app.example.com/assets/index-4f2a.js:40:12`,
    'renderProfile@https://app.example.com/assets/index-4f2a.js',
  ],
  [
    'Node',
    `TypeError: Cannot read properties of undefined (reading 'id')
    at Layer.handle [as handle_request] (/srv/app/node_modules/express/lib/router/layer.js:95:5)
    at getUser (/srv/app/src/users.ts:42:10)
    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`,
    'at getUser (/srv/app/src/users.ts)',
  ],
  [
    'Python traceback',
    `Traceback (most recent call last):
  File "/usr/local/lib/python3.11/site-packages/flask/app.py", line 1484, in full_dispatch_request
    rv = self.dispatch_request()
  File "/srv/app/views.py", line 27, in get_user
    return users[user_id]
KeyError: 42`,
    'File "/srv/app/views.py", in get_user',
  ],
  [
    'Ruby backtrace',
    `/srv/app/app/models/user.rb:42:in 'find_user'
/usr/local/bundle/gems/activerecord-7.1.0/lib/active_record/relation.rb:10:in 'load'`,
    "/srv/app/app/models/user.rb:in 'find_user'",
  ],
  [
    'Swift (iOS crash report)',
    `0   CoreFoundation                      0x00000001804b0f20 __exceptionPreprocess + 172
1   libobjc.A.dylib                     0x0000000180087f28 objc_exception_throw + 56
2   MyApp                               0x0000000100f3c2a8 $s5MyApp14ProfileViewC4loadyyF + 120
3   UIKitCore                           0x0000000184d3e1b4 -[UIViewController loadViewIfRequired] + 936`,
    'MyApp $s5MyApp14ProfileViewC4loadyyF',
  ],
  [
    'Kotlin/Java (Android)',
    `java.lang.IllegalStateException: Expected BEGIN_OBJECT but was STRING
	at com.google.gson.stream.JsonReader.beginObject(JsonReader.java:386)
	at com.example.app.ProfileRepository.load(ProfileRepository.kt:88)
	at android.os.Handler.handleCallback(Handler.java:942)
	at java.lang.Thread.run(Thread.java:1012)`,
    'at com.example.app.ProfileRepository.load(ProfileRepository.kt)',
  ],
]

describe('top frame', () => {
  for (const [name, stack, expected] of STACKS) {
    test(`${name}: the first application frame, without line numbers`, () =>
      expect(topFrame(stack)).toBe(expected))
  }

  test('an absent stack contributes nothing', () => {
    expect(topFrame(null)).toBe('')
    expect(topFrame('')).toBe('')
  })

  test('a stack of framework frames only falls back to the first frame', () => {
    expect(topFrame('    at run (node:internal/main:10:5)\n    at x (node_modules/a/b.js:1:1)')).toBe(
      'at run (node:internal/main)',
    )
  })
})

describe('fingerprint', () => {
  test('is xxh3_64 as 16 lowercase hex characters (xxh3("hello") = 9555e8555c62dcfd)', () => {
    expect(hash64('hello')).toBe('9555e8555c62dcfd')
    expect(hash64('')).toMatch(/^[0-9a-f]{16}$/)
  })

  for (const [name, stack] of STACKS) {
    test(`${name}: the same error with other ids, numbers and line numbers groups together`, () => {
      const a = computeFingerprint({
        source: 'api',
        error_type: 'TypeError',
        route_or_procedure: '/users/:id',
        message: 'user 123 not found (request 550e8400-e29b-41d4-a716-446655440000)',
        stack,
      })
      const b = computeFingerprint({
        source: 'api',
        error_type: 'TypeError',
        route_or_procedure: '/users/:id',
        message: 'user 98765 not found (request 6fa459ea-ee8a-3ca4-894e-db77e160355e)',
        stack: stack.replace(/:(\d+)/g, (_, n) => `:${Number(n) + 7}`).replace(/line (\d+)/g, 'line 999'),
      })
      expect(a).toBe(b)
    })
  }

  test('different call sites stay apart', () => {
    const base = { source: 'api', error_type: 'TypeError', message: 'boom' }
    const here = computeFingerprint({
      ...base,
      stack: 'Error: boom\n    at getUser (/srv/app/src/users.ts:42:10)',
    })
    const there = computeFingerprint({
      ...base,
      stack: 'Error: boom\n    at getOrder (/srv/app/src/orders.ts:42:10)',
    })
    expect(here).not.toBe(there)
  })

  test('source, error type and route separate issues', () => {
    const base = { source: 'api', error_type: 'TypeError', route_or_procedure: '/a', message: 'boom' }
    const fp = computeFingerprint(base)
    expect(computeFingerprint({ ...base, source: 'ios' })).not.toBe(fp)
    expect(computeFingerprint({ ...base, error_type: 'RangeError' })).not.toBe(fp)
    expect(computeFingerprint({ ...base, route_or_procedure: '/b' })).not.toBe(fp)
  })

  test('the input string is source:error_type:route:normalized_message:top_frame', () => {
    const fp = computeFingerprint({
      source: 'ios',
      error_type: 'NSError',
      route_or_procedure: null,
      message: 'Code 42',
      stack: null,
    })
    expect(fp).toBe(hash64('ios:NSError::code <n>:'))
  })
})
