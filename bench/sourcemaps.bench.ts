/**
 * Source maps: what an upload and a read cost with real maps of real size.
 *
 *   npm run bench -- sourcemaps
 *
 * Two bundles are built from packages already in node_modules with `bun build --minify
 * --sourcemap=external`: elysia alone (~1.4 MB map) and seven packages together (~4.5 MB,
 * close to the 5 MB cap). For each, through the real app in process: the upload (parse and
 * validate every mapping, gzip, store), the first read of an issue whose sample has a
 * 20-frame stack at real generated positions (the map is loaded and parsed on the read
 * thread, so the request waits but the event loop does not), a warm read (cached), and
 * the heap the parsed map holds against the cache's estimate. The threads start on first
 * use, so a tiny map is uploaded and read first ("thread starts": both threads' start plus
 * those two requests) and the figures are those of a running server. What a crafted map
 * does to the event loop: sourcemaps.hostile.bench.ts.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SourceMapConsumer } from 'source-map-js'
import { approximateBytes, parseSourceMap } from '../src/sourcemaps/parse'
import { signed, startRuntime, type TestRuntime } from '../test/helpers'
import { REPO, tempDir } from './lib'

const dir = tempDir('bloop-sourcemaps-bench-')
const BUNDLES: Record<string, string[]> = {
  elysia: ['elysia'],
  seven: [
    'elysia',
    'nodemailer',
    '@sinclair/typebox',
    'htmlparser2',
    'html-to-text',
    'iconv-lite',
    '@simplewebauthn/server',
  ],
}

async function build(name: string, packages: string[]): Promise<{ script: string; map: string }> {
  const src = join(REPO, `.bench-${name}.ts`)
  writeFileSync(src, packages.map((p, i) => `export * as m${i} from '${p}'`).join('\n'))
  const out = join(dir, name)
  mkdirSync(out)
  const proc = Bun.spawn(
    [process.execPath, 'build', src, '--minify', '--sourcemap=external', '--target=node', '--outdir', out],
    { cwd: REPO, stdout: 'ignore', stderr: 'inherit' },
  )
  const code = await proc.exited
  rmSync(src)
  if (code !== 0) throw new Error(`bun build of ${name} failed`)
  const base = `.bench-${name}`
  return { script: join(out, `${base}.js`), map: join(out, `${base}.js.map`) }
}

/** A 20-frame V8 stack at generated positions that exist in the map. */
function stackFor(mapText: string, url: string): string {
  const consumer = new SourceMapConsumer(JSON.parse(mapText))
  const all: string[] = []
  consumer.eachMapping((m) => {
    if (m.source !== null) all.push(`${m.generatedLine}:${m.generatedColumn + 1}`)
  })
  const positions = Array.from({ length: 20 }, (_, k) => all[Math.floor(((k + 0.5) * all.length) / 20)])
  return ['Error: bench', ...positions.map((p, k) => `    at f${k} (${url}:${p})`)].join('\n')
}

/**
 * Starts the upload and read threads with a one-mapping map, so the figures below are a
 * running server's, not a thread start's; answers how long that took.
 */
async function startThreads(rt: TestRuntime, token: string): Promise<number> {
  const t = performance.now()
  const map = { version: 3, sources: ['w.ts'], names: [], mappings: 'AAAA' }
  const up = await rt.fetch('/v1/projects/default/sourcemaps', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ release: 'warm', filename: 'w.js.map', map }),
  })
  const event = { source: 'web', environment: 'p', release: 'warm', error_type: 'E', message: 'warm' }
  const sent = await rt.handle(
    signed('/v1/ingest', { ...event, fingerprint: 'warm', stack: 'E\n    at f (https://x/w.js:1:1)' }),
  )
  const read = await rt.fetch('/v1/errors/warm', { headers: { authorization: `Bearer ${token}` } })
  const mapped = ((await read.json()) as { samples: { symbolicated?: unknown }[] }).samples[0]?.symbolicated
  if (up.status !== 201 || sent.status !== 200 || !mapped) throw new Error('warm-up failed')
  return ms(t)
}

const heap = () => {
  Bun.gc(true)
  return process.memoryUsage().heapUsed
}
const ms = (t: number) => Math.round((performance.now() - t) * 10) / 10

try {
  console.log(
    '| map | size | gzip stored | upload ms | first read ms | warm read ms | heap held MB | cache estimate MB | thread starts ms |',
  )
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const [name, packages] of Object.entries(BUNDLES)) {
    const { map } = await build(name, packages)
    const mapText = readFileSync(map, 'utf8')
    const rt = await startRuntime({ sourcemaps: { max_bytes: 8 * 1024 * 1024 } })
    const token = rt.token(['errors:read', 'sourcemaps:write'])
    const url = `https://cdn.example.com/assets/${name}.min.js`
    const stack = stackFor(mapText, url)
    const ingest = await rt.handle(
      signed('/v1/ingest', {
        source: 'web',
        environment: 'p',
        release: 'b1',
        error_type: 'Error',
        message: 'bench',
        stack,
        fingerprint: `fp-${name}`,
      }),
    )
    if (ingest.status !== 200) throw new Error(`ingest failed: ${ingest.status}`)
    const threadsMs = await startThreads(rt, token)

    const form = new FormData()
    form.set('release', 'b1')
    form.set('file', new File([mapText], `${name}.min.js.map`))
    let t = performance.now()
    const up = await rt.fetch('/v1/projects/default/sourcemaps', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    })
    const uploadMs = ms(t)
    const stored = (await up.json()) as { stored_bytes: number; size_bytes: number }
    if (up.status !== 201) throw new Error(`upload failed: ${JSON.stringify(stored)}`)

    const read = async () => {
      const res = await rt.fetch(`/v1/errors/fp-${name}`, { headers: { authorization: `Bearer ${token}` } })
      const body = (await res.json()) as { samples: { symbolicated?: { mapped_frames: number } }[] }
      const mapped = body.samples[0]?.symbolicated?.mapped_frames ?? 0
      if (mapped !== 20) throw new Error(`expected 20 mapped frames, got ${mapped}`)
    }
    t = performance.now()
    await read()
    const firstMs = ms(t)
    const warm: number[] = []
    for (let k = 0; k < 20; k++) {
      t = performance.now()
      await read()
      warm.push(ms(t))
    }
    warm.sort((a, b) => a - b)

    // Heap held by one parsed map, measured outside the runtime's cache.
    const before = heap()
    const parsed = parseSourceMap(mapText, { maxMappings: Number.MAX_SAFE_INTEGER })
    parsed.consumer.originalPositionFor({ line: 1, column: 0 })
    const held = heap() - before
    const estimate = approximateBytes(mapText.length, parsed.mappings)

    console.log(
      `| ${name} (${(parsed.mappings / 1000).toFixed(0)}k mappings) | ${(stored.size_bytes / 1e6).toFixed(2)} MB ` +
        `| ${(stored.stored_bytes / 1e6).toFixed(2)} MB | ${uploadMs} | ${firstMs} | ${warm[10]} (median of 20) ` +
        `| ${(held / 1e6).toFixed(0)} | ${(estimate / 1e6).toFixed(0)} | ${threadsMs} |`,
    )
    await rt.dispose()
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
process.exit(0)
