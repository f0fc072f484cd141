/**
 * schemathesis against the real server with its own /openapi.json: generated requests to
 * every operation must never get a 5xx, and every answer must conform to the schema the
 * document declares for its status (the error shape included). The server runs as a real
 * process on loopback, on a fresh SQLite file, with one event ingested so reads find data.
 * Two runs: as a signed-in admin (a session cookie holds every scope and reaches every
 * route), and with an API token holding every scope over the routes a token may call.
 * Bodies sent to the ingest routes are signed by schemathesis_hooks.py, so generated events
 * reach validation and the queue.
 *
 * Left out of the run, because they end the run's own access: POST /auth/logout (ends the
 * session) and POST /v1/admin/reset (deletes every user); GET /v1/stream is a live event
 * stream that never ends by itself; /v1/proxy/* forwards to the LLM providers' real
 * hosts. Examples are limited per operation (`-n`) to keep the run under two minutes on a
 * shared machine.
 *
 * Python and schemathesis come from .venv-ci (test/requirements.txt, pinned), made by
 * `npm test`'s pretest step, or BLOOP_TEST_PYTHON's interpreter.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { existsSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createSession } from '../../src/auth/sessions'
import { SCOPES } from '../../src/http/scopes'
import { openDatabase } from '../../src/storage/db'
import { SqliteBackend } from '../../src/storage/sqlite'
import { createToken } from '../../src/tokens/store'
import { event, signed, TEST_SECRET, tempDir, userOnSqlite } from '../helpers'
import { REPO, type ServerProcess, spawnServer } from '../process'

const LOCAL_PYTHON = join(REPO, '.venv-ci', 'bin', 'python')
const python = process.env.BLOOP_TEST_PYTHON || LOCAL_PYTHON
const schemathesis = join(dirname(python), 'schemathesis')

let dir: string
let server: ServerProcess
let cookie: string
let token: string

beforeAll(async () => {
  dir = tempDir('bloop-schemathesis-')
  // Generous limits: the run sends thousands of requests from one address, many refused on purpose.
  server = await spawnServer({
    dir,
    env: { BLOOP__RATE_LIMIT__AUTH_PER_SECOND: '10000', BLOOP__RATE_LIMIT__AUTH_BURST_SIZE: '10000' },
  })
  // The server migrated the database; a second connection adds the admin the run acts as.
  const db = openDatabase(join(dir, 'bloop.db'))
  const now = Date.now()
  const admin = userOnSqlite(db, { username: 'fuzz-admin', role: 'admin' }, now)
  cookie = `bloop_session=${await createSession(new SqliteBackend(db), admin.id, now, 3600)}`
  token = (
    await createToken(new SqliteBackend(db), { projectId: 'default', name: 'fuzz', scopes: [...SCOPES] }, now)
  ).token
  db.close()
  const ingest = signed('/v1/ingest', event({ fingerprint: 'fp-seed', release: '1.0.0' }))
  const res = await fetch(`${server.url}/v1/ingest`, {
    method: 'POST',
    headers: ingest.headers,
    body: await ingest.text(),
  })
  expect(res.status).toBe(200)
})

afterAll(async () => {
  server?.proc.kill('SIGTERM')
  await server?.exited
  rmSync(dir, { recursive: true, force: true })
})

/** Runs schemathesis over the server's document; resolves with its exit code and output. */
async function schemathesisRun(o: { header: string; maxSecs: number; select: string[] }) {
  if (!existsSync(schemathesis))
    throw new Error(`expected schemathesis at ${schemathesis}; run \`bun test/setup/python-env.ts\``)
  const run = Bun.spawn(
    [
      schemathesis,
      'run',
      `${server.url}/openapi.json`,
      '--checks',
      'not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance',
      '--phases',
      'examples,coverage,fuzzing',
      '--max-examples',
      '8',
      '--seed',
      '1',
      // One worker: with two, Hypothesis' description of lambdas raced in a worker thread
      // (a KeyError inside hypothesis/internal/lambda_sources.py) and the run crashed.
      '--workers',
      '1',
      '--request-timeout',
      '10',
      '--max-time',
      String(o.maxSecs),
      ...o.select,
      // The header is the run's credential; generated credentials would only be refused.
      '--generation-with-security-parameters',
      'false',
      '-H',
      o.header,
      '--no-color',
      '--report-dir',
      join(dir, 'report'),
    ],
    {
      cwd: dir,
      stdout: 'pipe',
      stderr: 'pipe',
      // Signs the ingest routes' bodies (schemathesis_hooks.py beside this file).
      env: {
        ...process.env,
        SCHEMATHESIS_HOOKS: join(import.meta.dir, 'schemathesis_hooks.py'),
        BLOOP_FUZZ_SECRET: TEST_SECRET,
      },
    },
  )
  const [out, err, code] = await Promise.all([
    new Response(run.stdout).text(),
    new Response(run.stderr).text(),
    run.exited,
  ])
  if (process.env.SCHEMATHESIS_OUT) await Bun.write(process.env.SCHEMATHESIS_OUT, `${out}\n${err}`)
  const serverErrors = server.lines.filter((l) => l.includes('"level":"error"'))
  return { code, serverErrors, tail: code === 0 ? '' : `${out.slice(-6000)}\n${err.slice(-2000)}` }
}

const PASSED = { code: 0, serverErrors: [], tail: '' }

// The token run comes first: the admin run may revoke that token (it lists tokens and
// deletes what it finds) and rotate the default project's key, which signs ingest.
test('with an API token: no 5xx and no answer outside the schema, on the routes tokens call', async () => {
  const result = await schemathesisRun({
    header: `Authorization: Bearer ${token}`,
    maxSecs: 40,
    select: [
      '--include-path-regex',
      '^/v1/(ingest|errors|releases|trends|stats|alerts|analytics|projects/[^/]+/sourcemaps)',
    ],
  })
  expect(result).toEqual(PASSED)
  // The hook's signatures were accepted: generated events reached the queue and were committed.
  const metrics = await (await fetch(`${server.url}/metrics`)).text()
  const accepted = /^bloop_events_accepted_total\{endpoint="ingest"\} (\d+)$/m.exec(metrics)
  expect(Number(accepted?.[1] ?? 0)).toBeGreaterThan(1)
}, 90_000)

test('as a signed-in admin: no 5xx and no answer outside the schema, on every route', async () => {
  const result = await schemathesisRun({
    header: `Cookie: ${cookie}`,
    maxSecs: 60,
    select: [
      '--exclude-path',
      '/auth/logout',
      '--exclude-path',
      '/v1/admin/reset',
      '--exclude-path',
      '/v1/stream',
      // The LLM proxy forwards to the providers' real hosts: never from a test.
      '--exclude-path-regex',
      '^/v1/proxy/',
    ],
  })
  expect(result).toEqual(PASSED)
}, 120_000)
