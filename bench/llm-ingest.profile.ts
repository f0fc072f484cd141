/**
 * Where the trace route's main-thread time goes: starts the server under Bun's sampling
 * profiler (--cpu-prof-md) pinned to core 0, drives single-trace or batch ingest from core 1
 * for a few seconds, stops the server (the profile is written on exit) and prints the
 * profile's path. The markdown lists self and total time by function; the writer thread
 * is a separate isolate and is not in it.
 *
 *   bun bench/llm-ingest.profile.ts [single|batch] [seconds]
 */
import { join } from 'node:path'
import { benchServerEnv, REPO, runLoad, startPinned, tempDir } from './lib'

const mode = process.argv[2] === 'batch' ? 'batch' : 'single'
const seconds = Number(process.argv[3] ?? 8)
const dir = tempDir('bloop-prof-')
const server = await startPinned(
  [
    process.execPath,
    '--cpu-prof-md',
    `--cpu-prof-dir=${dir}`,
    '--cpu-prof-interval=250',
    join(REPO, 'src/main.ts'),
    'serve',
  ],
  benchServerEnv(dir),
  0,
)
const url = `http://127.0.0.1:${server.port}`
const r = await runLoad(
  mode === 'batch'
    ? { url, path: '/v1/traces/batch', kind: 'traces', 'per-request': 50, seconds, connections: 8 }
    : { url, path: '/v1/traces', kind: 'traces', seconds, connections: 50 },
  1,
)
await server.stop()
console.log(JSON.stringify({ mode, rps: Math.round(r.rps), errors: r.errors, profile_dir: dir }))
