/** The pure parts of symbolication: stack formats, matching frames to maps, names, context, the cache, the mapping count. */
import { describe, expect, test } from 'bun:test'
import { SizedLru } from '../../src/sourcemaps/cache'
import { type MapRef, matchMap, pathSegments } from '../../src/sourcemaps/match'
import { countSegments, parseSourceMap } from '../../src/sourcemaps/parse'
import { parseFrame, parseStack } from '../../src/sourcemaps/stack'
import { contextAround, enclosingFunction, identifierAt } from '../../src/sourcemaps/symbolicate'

describe('stack frame parsing', () => {
  const cases: [string, string, ReturnType<typeof parseFrame>][] = [
    [
      'V8 with a function',
      '    at formatCity (https://cdn.example.com/assets/app.min.js:1:32)',
      { function: 'formatCity', file: 'https://cdn.example.com/assets/app.min.js', line: 1, column: 32 },
    ],
    [
      'V8 without a function',
      'at https://cdn.example.com/assets/app.min.js:1:182',
      { function: null, file: 'https://cdn.example.com/assets/app.min.js', line: 1, column: 182 },
    ],
    [
      'V8 async frame',
      'at async loadUser (file:///srv/app/dist/server.js:3:1044)',
      { function: 'loadUser', file: 'file:///srv/app/dist/server.js', line: 3, column: 1044 },
    ],
    [
      'V8 constructor',
      'at new Widget (webpack-internal:///./src/widget.js:12:9)',
      { function: 'new Widget', file: 'webpack-internal:///./src/widget.js', line: 12, column: 9 },
    ],
    [
      'V8 method alias',
      'at Function.executeUserEntryPoint [as runMain] (node:internal/modules/run_main:164:12)',
      {
        function: 'Function.executeUserEntryPoint [as runMain]',
        file: 'node:internal/modules/run_main',
        line: 164,
        column: 12,
      },
    ],
    [
      'V8 Object.<anonymous>',
      'at Object.<anonymous> (/tmp/out/app.min.js:1:182)',
      { function: 'Object.<anonymous>', file: '/tmp/out/app.min.js', line: 1, column: 182 },
    ],
    [
      'V8 URL with parentheses (Next.js route groups)',
      'at t (https://shop.example.com/_next/static/chunks/app/(shop)/page-4f2a.js:1:2211)',
      {
        function: 't',
        file: 'https://shop.example.com/_next/static/chunks/app/(shop)/page-4f2a.js',
        line: 1,
        column: 2211,
      },
    ],
    [
      'V8 native frame without a position',
      'at Array.map (<anonymous>)',
      { function: 'Array.map', file: '<anonymous>', line: null, column: null },
    ],
    [
      'Firefox',
      'renderProfile@https://cdn.example.com/assets/app.min.js:1:80',
      { function: 'renderProfile', file: 'https://cdn.example.com/assets/app.min.js', line: 1, column: 80 },
    ],
    [
      'Firefox anonymous',
      '@https://cdn.example.com/assets/app.min.js:1:182',
      { function: null, file: 'https://cdn.example.com/assets/app.min.js', line: 1, column: 182 },
    ],
    [
      'Firefox nested function',
      'main/<@https://cdn.example.com/assets/app.min.js:1:150',
      { function: 'main/<', file: 'https://cdn.example.com/assets/app.min.js', line: 1, column: 150 },
    ],
    [
      'Safari global code',
      'global code@https://cdn.example.com/assets/app.min.js:1:182',
      { function: 'global code', file: 'https://cdn.example.com/assets/app.min.js', line: 1, column: 182 },
    ],
    [
      'Safari native code',
      'map@[native code]',
      { function: 'map', file: '[native code]', line: null, column: null },
    ],
    [
      'Hermes bytecode frame',
      'at formatCity (address at index.android.bundle:1:9876)',
      { function: 'formatCity', file: 'index.android.bundle', line: 1, column: 9876 },
    ],
    [
      'Hermes anonymous frame',
      'at anonymous (address at /data/user/0/com.shop/files/index.android.bundle:1:12345)',
      {
        function: 'anonymous',
        file: '/data/user/0/com.shop/files/index.android.bundle',
        line: 1,
        column: 12345,
      },
    ],
    [
      'React Native dev server frame',
      'at renderProfile (http://10.0.2.2:8081/index.bundle?platform=android&dev=true&minify=false:123:45)',
      {
        function: 'renderProfile',
        file: 'http://10.0.2.2:8081/index.bundle?platform=android&dev=true&minify=false',
        line: 123,
        column: 45,
      },
    ],
    [
      'Hermes native frame',
      'at apply (native)',
      { function: 'apply', file: 'native', line: null, column: null },
    ],
  ]
  for (const [name, line, expected] of cases) {
    test(`reads a ${name}`, () => {
      expect(parseFrame(line.trim())).toEqual(expected)
    })
  }

  test('lines that are not frames give no frame', () => {
    for (const line of [
      "TypeError: Cannot read properties of undefined (reading 'city')",
      'Error: user@example.com was not found',
      'Traceback (most recent call last):',
      "app/models/user.rb:12:in 'full_name'",
    ]) {
      expect([line, parseFrame(line)]).toEqual([line, null])
    }
  })

  test('a whole stack keeps every non-empty line in order, frames parsed', () => {
    const lines = parseStack(
      'TypeError: boom\n    at a (https://x/app.js:1:2)\n\n    at https://x/app.js:1:9\r\n',
    )
    expect(lines.map((l) => [l.raw, l.frame?.line ?? null])).toEqual([
      ['TypeError: boom', null],
      ['at a (https://x/app.js:1:2)', 1],
      ['at https://x/app.js:1:9', 1],
    ])
  })
})

describe('matching a frame to a map', () => {
  const ref = (id: number, filename: string, map_file: string | null = null, uploaded_at = 1): MapRef => ({
    id,
    filename,
    map_file,
    uploaded_at,
  })

  test('reduces URLs and paths to segments without scheme, host, query or fragment', () => {
    expect(pathSegments('https://cdn.example.com/assets/app.min.js?v=3#top')).toEqual([
      'assets',
      'app.min.js',
    ])
    expect(pathSegments('file:///srv/app/dist/app.js')).toEqual(['srv', 'app', 'dist', 'app.js'])
    expect(pathSegments('app:///index.android.bundle')).toEqual(['index.android.bundle'])
    expect(pathSegments('~/static/js/main%20chunk.js')).toEqual(['static', 'js', 'main chunk.js'])
    expect(pathSegments('./dist\\app.js')).toEqual(['dist', 'app.js'])
  })

  test('a map uploaded as app.min.js.map matches the script by file name', () => {
    const m = ref(1, 'app.min.js.map')
    expect(matchMap('https://cdn.example.com/assets/app.min.js', [m])).toBe(m)
    expect(matchMap('https://cdn.example.com/assets/app.js', [m])).toBeNull()
    expect(matchMap('https://cdn.example.com/assets/xapp.min.js', [m])).toBeNull()
  })

  test('the map whose path matches more of the URL wins', () => {
    const byName = ref(1, 'app.min.js.map', null, 9)
    const byPath = ref(2, 'assets/app.min.js.map', null, 1)
    const other = ref(3, 'admin/app.min.js.map', null, 9)
    expect(matchMap('https://cdn.example.com/assets/app.min.js', [byName, byPath, other])).toBe(byPath)
    expect(matchMap('https://cdn.example.com/admin/app.min.js', [byName, byPath, other])).toBe(other)
  })

  test("the map's own file field is a name too", () => {
    const m = ref(1, 'build-output-7.map', 'bundle.js')
    expect(matchMap('https://x.example/static/bundle.js', [m])).toBe(m)
  })

  test('equal matches go to the newest upload', () => {
    const older = ref(1, 'main.js.map', null, 100)
    const newer = ref(2, 'dist/main.js.map', 'main.js', 200)
    expect(matchMap('/srv/main.js', [older, newer])).toBe(newer)
  })
})

describe('naming functions and showing source', () => {
  test('the identifier at a call site is the called function', () => {
    const line = '  return `City: $' + '{formatCity(user)}`' // source text, not a template here
    expect(identifierAt(line, line.indexOf('formatCity'))).toBe('formatCity')
    expect(identifierAt(line, line.indexOf('formatCity') + 4)).toBe('formatCity')
    const member = '  await this.store.save(order)'
    expect(identifierAt(member, member.indexOf('await'))).toBe('save')
    expect(identifierAt(member, member.indexOf('this'))).toBe('save')
    const ctor = '  const w = new Widget(el)'
    expect(identifierAt(ctor, ctor.indexOf('new'))).toBe('Widget')
    const call = '  handler.call(this, ev)'
    expect(identifierAt(call, call.indexOf('handler'))).toBeNull()
  })

  test('the nearest enclosing declaration names an outermost frame', () => {
    const src = [
      'export class Cart {',
      '  async checkout(items: Item[]): Promise<void> {',
      '    for (const item of items) {',
      '      if (!item.price) {',
      "        throw new Error('no price')",
      '      }',
      '    }',
      '  }',
      '}',
      'const total = (xs: number[]) =>',
      '  xs.reduce((a, b) => a + b)',
      'function main() {',
      '  run()',
      '}',
      'main()',
    ]
    expect(enclosingFunction(src, 5)).toBe('checkout')
    expect(enclosingFunction(src, 11)).toBe('total')
    expect(enclosingFunction(src, 13)).toBe('main')
    expect(enclosingFunction(src, 15)).toBeNull()
  })

  test('source context is up to five lines around, with long lines clipped', () => {
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`)
    expect(contextAround(lines, 3, 0)).toEqual({
      start_line: 1,
      pre: ['line 1', 'line 2'],
      line: 'line 3',
      post: ['line 4', 'line 5', 'line 6', 'line 7', 'line 8'],
    })
    expect(contextAround(lines, 20, 0)?.post).toEqual([])
    expect(contextAround(lines, 21, 0)).toBeNull()
    const long = `${'a'.repeat(1000)}THROW${'b'.repeat(1000)}`
    const clipped = contextAround([long], 1, 1000)?.line as string
    expect(clipped.length).toBeLessThanOrEqual(242)
    expect(clipped).toContain('THROW')
  })
})

describe('the size-bounded LRU cache', () => {
  test('evicts least recently used entries to stay within the byte budget', () => {
    const c = new SizedLru<number, string>(100)
    c.set(1, 'v', 'one', 40)
    c.set(2, 'v', 'two', 40)
    expect(c.get(1, 'v')).toBe('one') // 1 is now the most recent
    c.set(3, 'v', 'three', 40)
    expect(c.get(2, 'v')).toBeUndefined()
    expect(c.get(1, 'v')).toBe('one')
    expect(c.get(3, 'v')).toBe('three')
    expect(c.bytes).toBe(80)
  })

  test('a new version is a miss and frees the old entry', () => {
    const c = new SizedLru<number, string>(100)
    c.set(1, 'sha-a', 'old', 60)
    expect(c.get(1, 'sha-b')).toBeUndefined()
    expect(c.bytes).toBe(0)
    expect(c.size).toBe(0)
  })

  test('an entry larger than the budget is not kept; a budget of 0 keeps nothing', () => {
    const c = new SizedLru<number, string>(100)
    c.set(1, 'v', 'small', 10)
    c.set(2, 'v', 'huge', 101)
    expect(c.get(2, 'v')).toBeUndefined()
    expect(c.get(1, 'v')).toBe('small')
    const off = new SizedLru<number, string>(0)
    off.set(1, 'v', 'x', 1)
    expect(off.size).toBe(0)
  })
})

describe('the mapping count checked before parsing', () => {
  test('counts the non-empty pieces between separators', () => {
    const cases: [string, number][] = [
      ['', 0],
      [';;;', 0],
      ['AAAA', 1],
      ['AAAA,CAAC', 2],
      ['AAAA;CAAC,EAAE;;', 3],
      [',AAAA,,', 1],
    ]
    expect(cases.map(([m]) => countSegments(m))).toEqual(cases.map(([, n]) => n))
  })

  test('an indexed map counts the segments of all its sections', () => {
    const section = (line: number) => ({
      offset: { line, column: 0 },
      map: { version: 3, sources: ['a.ts'], names: [], mappings: 'AAAA,CAAC' },
    })
    const text = JSON.stringify({ version: 3, sections: [section(0), section(1)] })
    expect(parseSourceMap(text, { maxMappings: 4 }).mappings).toBe(4)
    expect(() => parseSourceMap(text, { maxMappings: 3 })).toThrow(
      'too many mappings: 4 (sourcemaps.max_mappings is 3)',
    )
  })
})
