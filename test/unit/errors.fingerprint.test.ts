import { describe, expect, test } from 'bun:test'
import { computeFingerprint, hash64, normalizeMessage, topFrame } from '../../src/errors/fingerprint'

describe('message normalisation', () => {
  const cases: [string, string][] = [
    ['Error at 192.168.1.1 for user abc123', 'error at <ip> for user <hex>'],
    ['Failed for 550e8400-e29b-41d4-a716-446655440000', 'failed for <uuid>'],
    ['  Timeout after 5000ms  ', 'timeout after <n>ms'],
    ['No mail for Alice.Smith+test@example.co.uk today', 'no mail for <email> today'],
    ['connect to fe80::1ff:fe23:4567:890a failed', 'connect to <ip> failed'],
    ['peer 2001:0db8:85a3:0000:0000:8a2e:0370:7334 reset', 'peer <ip> reset'],
    ['segfault at 0x7ffee4b2c8a0', 'segfault at <hex>'],
    ['object deadbeef01 missing', 'object <hex> missing'],
    ['Foo::Bar not found', 'foo::bar not found'],
    ['unexpected token } in JSON at position 42', 'unexpected token } in json at position <n>'],
    // Short hex ids: 4+ characters mixing digits and a-f, object ids in braces, @ suffixes.
    ['chunk index-4f2a.js failed to load', 'chunk index-<hex>.js failed to load'],
    ['Session@4554617 closed; lock {1540} free', 'session@<hex> closed; lock {<hex>} free'],
    // Letters only, or digits only, are words and numbers, not hex ids.
    ['cafe added faced decade deadbeef bead', 'cafe added faced decade deadbeef bead'],
    ['Timeout after 5000ms, retried 1234 times', 'timeout after <n>ms, retried <n> times'],
    ['HTTP 404 on /v2/items: 3d print a1b missing', 'http <n> on /v<n>/items: <n>d print a<n>b missing'],
    ['Expected {0} but was {1}', 'expected {<hex>} but was {<hex>}'],
  ]
  for (const [input, expected] of cases) {
    test(`"${input.trim()}" becomes "${expected}"`, () => expect(normalizeMessage(input)).toBe(expected))
  }
})

// Real messages from Android, iOS and the JVM, with the ids each platform prints.
const PLATFORM_MESSAGES: [string, string, string][] = [
  [
    'Android: Fragment not attached',
    'Fragment ProductFragment{5cf56d} not attached to a context.',
    'fragment productfragment{<hex>} not attached to a context.',
  ],
  [
    'Android: Fragment with its uuid and view id',
    'Fragment HomeFragment{a1b2c3d (0f8e7d6c-1234-4abc-9def-0123456789ab) id=0x7f0a0123} not attached to an activity.',
    'fragment homefragment{<hex> (<uuid>) id=<hex>} not attached to an activity.',
  ],
  [
    'Android: BadTokenException',
    'Unable to add window -- token android.os.BinderProxy@4a1b2c3 is not valid; is your activity running?',
    'unable to add window -- token android.os.binderproxy@<hex> is not valid; is your activity running?',
  ],
  [
    'Android: view not attached to window manager',
    'View=DecorView@6a7b8c9[MainActivity] not attached to window manager',
    'view=decorview@<hex>[mainactivity] not attached to window manager',
  ],
  [
    'Android: RecyclerView inconsistency',
    'Inconsistency detected. Invalid view holder adapter positionViewHolder{3f2a1b0 position=5 id=-1, oldPos=-1, pLpos:-1 no parent} androidx.recyclerview.widget.RecyclerView{9d8e7f6 VFED..... .F....ID 0,0-1080,1920 #7f0a0156 app:id/list}, adapter:com.example.ProductAdapter@c4d5e6f, layout:androidx.recyclerview.widget.LinearLayoutManager@1a2b3c4d, context:com.example.MainActivity@e5f6a7b',
    'inconsistency detected. invalid view holder adapter positionviewholder{<hex> position=<n> id=-<n>, oldpos=-<n>, plpos:-<n> no parent} androidx.recyclerview.widget.recyclerview{<hex> vfed..... .f....id <n>,<n>-<n>,<n> #<hex> app:id/list}, adapter:com.example.productadapter@<hex>, layout:androidx.recyclerview.widget.linearlayoutmanager@<hex>, context:com.example.mainactivity@<hex>',
  ],
  [
    'Android: no ids to replace',
    'Unable to start activity ComponentInfo{com.example.app/com.example.app.MainActivity}: java.lang.NullPointerException',
    'unable to start activity componentinfo{com.example.app/com.example.app.mainactivity}: java.lang.nullpointerexception',
  ],
  [
    'Kotlin: cancelled coroutine',
    'Job was cancelled; job=StandaloneCoroutine{Cancelling}@6d06d69c',
    'job was cancelled; job=standalonecoroutine{cancelling}@<hex>',
  ],
  [
    'iOS: unrecognized selector',
    '-[__NSCFNumber length]: unrecognized selector sent to instance 0xb000000000000012',
    '-[__nscfnumber length]: unrecognized selector sent to instance <hex>',
  ],
  [
    'iOS: presenting off the window hierarchy',
    'Attempt to present <UIAlertController: 0x7fb5d2031c00> on <MyApp.ViewController: 0x7fb5d1e0a8e0> whose view is not in the window hierarchy!',
    'attempt to present <uialertcontroller: <hex>> on <myapp.viewcontroller: <hex>> whose view is not in the window hierarchy!',
  ],
  [
    'iOS: index beyond bounds',
    '*** -[__NSArrayM objectAtIndex:]: index 5 beyond bounds [0 .. 3]',
    '*** -[__nsarraym objectatindex:]: index <n> beyond bounds [<n> .. <n>]',
  ],
  [
    'iOS: Swift cast',
    "Could not cast value of type '__NSCFString' (0x1e2b3c4d8) to 'NSNumber' (0x1e2b3c5a0).",
    "could not cast value of type '__nscfstring' (<hex>) to 'nsnumber' (<hex>).",
  ],
  [
    'iOS: Core Data object',
    '<NSManagedObject: 0x600002e4c3a0> (entity: Item; id: 0xd000000000040000 <x-coredata://8F4A2B1C-3D5E-4F60-8A9B-0C1D2E3F4A5B/Item/p12>; data: <fault>)',
    '<nsmanagedobject: <hex>> (entity: item; id: <hex> <x-coredata://<uuid>/item/p<n>>; data: <fault>)',
  ],
  [
    'JVM: rejected task',
    'Task java.util.concurrent.FutureTask@5e2de80c[Not completed, task = com.example.Job@3b9a45b3] rejected from java.util.concurrent.ThreadPoolExecutor@1d44bcfa[Running, pool size = 4, active threads = 4, queued tasks = 100, completed tasks = 2291]',
    'task java.util.concurrent.futuretask@<hex>[not completed, task = com.example.job@<hex>] rejected from java.util.concurrent.threadpoolexecutor@<hex>[running, pool size = <n>, active threads = <n>, queued tasks = <n>, completed tasks = <n>]',
  ],
  [
    'JVM: connection pool',
    'HikariPool-1 - Connection is not available, request timed out after 30005ms.',
    'hikaripool-<n> - connection is not available, request timed out after <n>ms.',
  ],
  [
    'JVM: stale entity',
    'Row was updated or deleted by another transaction (or unsaved-value mapping was incorrect) : [com.example.Order#42]',
    'row was updated or deleted by another transaction (or unsaved-value mapping was incorrect) : [com.example.order#<n>]',
  ],
]

describe('platform messages', () => {
  for (const [name, input, expected] of PLATFORM_MESSAGES) {
    test(`${name}: ids become placeholders, words stay`, () => expect(normalizeMessage(input)).toBe(expected))
  }

  test('25 events of a Fragment message with 25 object ids are one issue', () => {
    // Object ids as Android prints them (Integer.toHexString of the identity hash code):
    // 6 to 8 characters, some with letters, some digits only.
    const ids = [
      '5cf56d',
      '1b6d3586',
      '4554617',
      '74a14482',
      'a1b2c3d',
      '1540e19d',
      '677327b6',
      '14ae5a5',
      '7f31245a',
      '6d6f6e28',
      '135fbaa4',
      '45ee12a7',
      '330bedb4',
      '2503dbd3',
      '4b67cf4d',
      '7ea987ac',
      '12a3a380',
      '29453f44',
      '5cad8086',
      '6e0be858',
      '61bbe9ba',
      '610455d6',
      '511d50c0',
      '60e53b93',
      '1234567',
    ]
    const fingerprints = new Set(
      ids.map((id) =>
        computeFingerprint({
          source: 'android',
          error_type: 'java.lang.IllegalStateException',
          message: `Fragment ProductFragment{${id}} not attached to a context.`,
          stack: 'at com.example.shop.ProductFragment.onLoaded(ProductFragment.kt:88)',
        }),
      ),
    )
    expect(fingerprints.size).toBe(1)
  })
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
