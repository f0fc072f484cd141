/**
 * Symbolication end to end with real artifacts: a TypeScript app built by `bun build
 * --minify --sourcemap=external`, run by Node (V8), Bun (JavaScriptCore) and headless
 * Chromium until it throws; its real minified stack is sent through /v1/ingest, its real
 * map uploaded through the API, and GET /v1/errors/:fp must show the original file, line
 * and function of the top frames.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { bearer, event, signed, startRuntime, type TestRuntime } from '../helpers'
import { type Build, buildApp, runAndCatch, runInChromium } from '../sourcemaps.helpers'

let v1: Build
let v2: Build
beforeAll(async () => {
  ;[v1, v2] = await Promise.all([buildApp(), buildApp(3)])
})
afterAll(() => {
  for (const b of [v1, v2]) rmSync(b.dir, { recursive: true, force: true })
})

let rt: TestRuntime | null = null
afterEach(async () => {
  await rt?.dispose()
  rt = null
})

const SCOPES = ['errors:read', 'sourcemaps:read', 'sourcemaps:write'] as const

async function setup() {
  rt = await startRuntime()
  return { rt, token: rt.token([...SCOPES]) }
}

async function ingest(r: TestRuntime, stack: string, release: string, fingerprint = 'checkout-crash') {
  const res = await r.handle(
    signed(
      '/v1/ingest',
      event({ release, stack, fingerprint, error_type: 'TypeError', message: stack.split('\n')[0] }),
    ),
  )
  expect(res.status).toBe(200)
}

async function upload(r: TestRuntime, token: string, release: string, filename: string, mapText: string) {
  const form = new FormData()
  form.set('release', release)
  form.set('file', new File([mapText], filename.split('/').pop() as string))
  form.set('filename', filename)
  const res = await r.fetch('/v1/projects/default/sourcemaps', {
    method: 'POST',
    headers: bearer(token),
    body: form,
  })
  const body = await res.json()
  expect([res.status, body.error]).toEqual([body.replaced ? 200 : 201, undefined])
  return body as { id: number; replaced: boolean }
}

interface Frame {
  raw: string
  function: string | null
  original: { file: string; line: number; column: number; function: string | null; context: unknown } | null
}
interface Sample {
  release: string
  stack: string
  symbolicated?: { release: string; frames: Frame[]; mapped_frames: number }
}

async function samples(r: TestRuntime, token: string, fingerprint = 'checkout-crash'): Promise<Sample[]> {
  const res = await r.fetch(`/v1/errors/${fingerprint}`, { headers: bearer(token) })
  expect(res.status).toBe(200)
  return (await res.json()).samples
}

/** The first three frames (after the message line), as original file name, line and function. */
function top3(s: Sample) {
  const frames = (s.symbolicated?.frames ?? []).filter((f) => f.raw.startsWith('at ') || f.raw.includes('@'))
  return frames
    .slice(0, 3)
    .map((f) => [f.original?.file.split('/').pop(), f.original?.line, f.original?.function])
}

function expected(b: Build) {
  return [
    ['util.ts', b.lineOf('util.ts', 'THROWS HERE'), 'formatCity'],
    ['app.ts', b.lineOf('app.ts', 'CALLS formatCity'), 'renderProfile'],
    ['app.ts', b.lineOf('app.ts', 'CALLS renderProfile'), 'main'],
  ]
}

describe('symbolication of real minified stacks', () => {
  for (const engine of ['node', 'bun'] as const) {
    test(`maps a ${engine === 'node' ? 'Node (V8)' : 'Bun (JavaScriptCore)'} stack back to file, line and function`, async () => {
      const { rt, token } = await setup()
      const stack = await runAndCatch(engine, v1.script)
      await ingest(rt, stack, 'web@1.0.0')
      await upload(rt, token, 'web@1.0.0', 'app.min.js.map', v1.mapText)
      const [sample] = await samples(rt, token)
      expect(sample?.stack).toBe(stack)
      expect(top3(sample as Sample)).toEqual(expected(v1))
      const top = sample?.symbolicated?.frames.find((f) => f.original !== null)
      expect(top?.original?.context).toMatchObject({
        line: expect.stringContaining('THROWS HERE'),
        pre: expect.arrayContaining([expect.stringContaining('export function formatCity')]),
      })
    })
  }

  test('maps a headless Chromium stack by URL path to a map uploaded under assets/', async () => {
    const { rt, token } = await setup()
    const { stack, origin } = await runInChromium(v1.script)
    expect(stack).toContain(`${origin}/assets/app.min.js:1:`)
    await ingest(rt, stack, 'web@1.0.0')
    await upload(rt, token, 'web@1.0.0', 'assets/app.min.js.map', v1.mapText)
    const [sample] = await samples(rt, token)
    expect(top3(sample as Sample)).toEqual(expected(v1))
  })

  test('each sample is mapped with the map of its own release', async () => {
    const { rt, token } = await setup()
    // The two releases throw at different source lines (v2's util.ts moved down 3 lines).
    expect(v2.lineOf('util.ts', 'THROWS HERE')).toBe(v1.lineOf('util.ts', 'THROWS HERE') + 3)
    await ingest(rt, await runAndCatch('node', v1.script), 'web@1.0.0')
    await ingest(rt, await runAndCatch('node', v2.script), 'web@2.0.0')
    await upload(rt, token, 'web@1.0.0', 'app.min.js.map', v1.mapText)
    await upload(rt, token, 'web@2.0.0', 'app.min.js.map', v2.mapText)
    const byRelease = Object.fromEntries((await samples(rt, token)).map((s) => [s.release, s]))
    expect(byRelease['web@1.0.0']?.symbolicated?.release).toBe('web@1.0.0')
    expect(top3(byRelease['web@1.0.0'] as Sample)).toEqual(expected(v1))
    expect(top3(byRelease['web@2.0.0'] as Sample)).toEqual(expected(v2))
  })

  test('occurrences are symbolicated too, each with its own release', async () => {
    const { rt, token } = await setup()
    await ingest(rt, await runAndCatch('node', v1.script), 'web@1.0.0')
    await ingest(rt, await runAndCatch('node', v2.script), 'web@2.0.0')
    await upload(rt, token, 'web@2.0.0', 'app.min.js.map', v2.mapText)
    const res = await rt.fetch('/v1/errors/checkout-crash/occurrences', { headers: bearer(token) })
    const items = (await res.json()).items as Sample[]
    const byRelease = Object.fromEntries(items.map((s) => [s.release, s]))
    expect(top3(byRelease['web@2.0.0'] as Sample)).toEqual(expected(v2))
    expect(byRelease['web@1.0.0']?.symbolicated).toBeUndefined()
  })

  test('an event without a map for its release keeps its raw stack and gets no symbolicated field', async () => {
    const { rt, token } = await setup()
    const stack = await runAndCatch('node', v1.script)
    await ingest(rt, stack, 'web@1.0.0')
    await upload(rt, token, 'web@9.9.9', 'app.min.js.map', v1.mapText)
    await upload(rt, token, 'web@1.0.0', 'vendor.min.js.map', v1.mapText)
    const [sample] = await samples(rt, token)
    expect(sample?.stack).toBe(stack)
    expect(sample && 'symbolicated' in sample).toBe(false)
  })

  test('a re-upload replaces the map at once, and a deleted map no longer applies', async () => {
    const { rt, token } = await setup()
    await ingest(rt, await runAndCatch('node', v1.script), 'web@1.0.0')
    // First the wrong build's map under this release: frames map to v2's lines.
    const first = await upload(rt, token, 'web@1.0.0', 'app.min.js.map', v2.mapText)
    expect(top3((await samples(rt, token))[0] as Sample)).toEqual(expected(v2))
    const second = await upload(rt, token, 'web@1.0.0', 'app.min.js.map', v1.mapText)
    expect(second).toMatchObject({ id: first.id, replaced: true })
    expect(top3((await samples(rt, token))[0] as Sample)).toEqual(expected(v1))
    const del = await rt.fetch(`/v1/projects/default/sourcemaps/${first.id}`, {
      method: 'DELETE',
      headers: bearer(token),
    })
    expect(await del.json()).toEqual({ deleted: first.id })
    expect((await samples(rt, token))[0]?.symbolicated).toBeUndefined()
  })

  test('an indexed (sectioned) map sent as JSON maps the same frames', async () => {
    const { rt, token } = await setup()
    await ingest(rt, await runAndCatch('node', v1.script), 'web@1.0.0')
    const indexed = {
      version: 3,
      sections: [{ offset: { line: 0, column: 0 }, map: JSON.parse(v1.mapText) }],
    }
    const res = await rt.fetch('/v1/projects/default/sourcemaps', {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: JSON.stringify({ release: 'web@1.0.0', filename: 'app.min.js.map', map: indexed }),
    })
    expect(res.status).toBe(201)
    expect(top3((await samples(rt, token))[0] as Sample)).toEqual(expected(v1))
  })

  test('Firefox, Safari and React Native (Hermes) frame formats map through a real map', async () => {
    const { rt, token } = await setup()
    // The real positions of the V8 run, printed the way the other engines print frames.
    const v8 = await runAndCatch('node', v1.script)
    const positions = [...v8.matchAll(/app\.min\.js:(\d+):(\d+)/g)].map((m) => `${m[1]}:${m[2]}`).slice(0, 4)
    const url = 'https://cdn.example.com/assets/app.min.js'
    const formats: Record<string, string> = {
      firefox: [
        'TypeError: user.address is undefined',
        ...positions.map((p, i) => `${['s', 'e', 'o', ''][i]}@${url}:${p}`),
      ].join('\n'),
      safari: [
        'TypeError: undefined is not an object',
        ...positions.map((p, i) => `${['s', 'e', 'o', 'global code'][i]}@${url}:${p}`),
      ].join('\n'),
      hermes: [
        "TypeError: Cannot read property 'city' of undefined",
        ...positions.map(
          (p, i) => `    at ${['s', 'e', 'o', 'anonymous'][i]} (address at index.android.bundle:${p})`,
        ),
        '    at apply (native)',
      ].join('\n'),
    }
    for (const [name, stack] of Object.entries(formats)) await ingest(rt, stack, name, `fp-${name}`)
    await upload(rt, token, 'firefox', 'app.min.js.map', v1.mapText)
    await upload(rt, token, 'safari', 'assets/app.min.js.map', v1.mapText)
    await upload(rt, token, 'hermes', 'index.android.bundle.map', v1.mapText)
    for (const name of Object.keys(formats)) {
      const [sample] = await samples(rt, token, `fp-${name}`)
      expect([name, top3(sample as Sample)]).toEqual([name, expected(v1)])
    }
  })
})
