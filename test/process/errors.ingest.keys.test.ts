/**
 * Which key signs an ingest request, and what rotating the default project's key does.
 * Without X-Project-Key the body is signed with the default project's current key (the
 * HMAC secret until someone rotates it), so a rotation retires the old key on both paths
 * at once: in-process through the API, and with a real `bloop project rotate-key` process
 * next to a real server process.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { sign } from '../../src/errors/ingest/hmac'
import { event, startRuntime, TEST_SECRET, type TestRuntime, tempDir } from '../helpers'
import { REPO, type ServerProcess, spawnServer } from '../process'
import { signInAs } from '../security'

const ORIGIN = 'http://localhost:5332'

/** One event signed with `key`; `header` also sends the key as X-Project-Key. */
function request(base: string, key: string, header: boolean, requestId: string): Request {
  const body = JSON.stringify(event({ request_id: requestId }))
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-signature': sign(key, body),
  }
  if (header) headers['x-project-key'] = key
  return new Request(`${base}/v1/ingest`, { method: 'POST', headers, body })
}

async function outcome(res: Response): Promise<[number, string]> {
  const body = (await res.json()) as { status?: string; code?: string }
  return [res.status, body.code ?? body.status ?? '']
}

/** The four ways an old and a new key can be presented, with what each must get. */
const AFTER_ROTATION: [string, 'old' | 'new', boolean, [number, string]][] = [
  ['old key, no X-Project-Key', 'old', false, [401, 'invalid_signature']],
  ['old key as X-Project-Key', 'old', true, [401, 'invalid_project_key']],
  ['new key, no X-Project-Key', 'new', false, [200, 'accepted']],
  ['new key as X-Project-Key', 'new', true, [200, 'accepted']],
]

describe('rotating the default project key through the API', () => {
  let rt: TestRuntime
  afterEach(() => rt?.dispose())

  test('the HMAC secret stops signing for the unkeyed path at once; the new key signs both paths', async () => {
    rt = await startRuntime()
    const admin = signInAs(rt, 'alice', 'admin')
    const send = (key: string, header: boolean, id: string) =>
      rt.handle(request('http://localhost', key, header, id))
    // Before: the default project's key is the secret, and both paths take it.
    expect(await outcome(await send(TEST_SECRET, false, 'before-unkeyed'))).toEqual([200, 'accepted'])
    expect(await outcome(await send(TEST_SECRET, true, 'before-keyed'))).toEqual([200, 'accepted'])

    const res = await rt.fetch('/v1/projects/default/rotate-key', {
      method: 'POST',
      headers: { cookie: admin.cookie, origin: ORIGIN },
    })
    expect(res.status).toBe(200)
    const newKey = ((await res.json()) as { api_key: string }).api_key
    expect(newKey).toMatch(/^bloop_[0-9a-f]{64}$/)

    const seen: [string, [number, string]][] = []
    for (const [name, which, header] of AFTER_ROTATION) {
      seen.push([name, await outcome(await send(which === 'old' ? TEST_SECRET : newKey, header, name))])
    }
    expect(seen).toEqual(AFTER_ROTATION.map(([name, , , want]) => [name, want]))
    const stored = rt.core.db
      .query<{ request_id: string; project_id: string }, []>(
        'SELECT request_id, project_id FROM raw_events ORDER BY id',
      )
      .all()
    expect(stored).toEqual([
      { request_id: 'before-unkeyed', project_id: 'default' },
      { request_id: 'before-keyed', project_id: 'default' },
      { request_id: 'new key, no X-Project-Key', project_id: 'default' },
      { request_id: 'new key as X-Project-Key', project_id: 'default' },
    ])
  })
})

describe('rotating the default project key with the CLI while the server runs', () => {
  let dir: string
  let server: ServerProcess | null = null
  afterEach(async () => {
    server?.proc.kill()
    await server?.exited
    server = null
    rmSync(dir, { recursive: true, force: true })
  })

  test('a real rotate-key process retires the old key for the running server and after a restart', async () => {
    dir = tempDir('bloop-rotate-')
    const env = { BLOOP__DATABASE__PATH: join(dir, 'bloop.db'), BLOOP__AUTH__HMAC_SECRET: TEST_SECRET }
    server = await spawnServer({ dir })
    const send = async (key: string, header: boolean, id: string) =>
      outcome(await fetch(request((server as ServerProcess).url, key, header, id)))
    expect(await send(TEST_SECRET, false, 'before')).toEqual([200, 'accepted'])

    const cli = Bun.spawn(
      [process.execPath, join(REPO, 'src/main.ts'), 'project', 'rotate-key', '--slug', 'default'],
      {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
        stdout: 'pipe',
        stderr: 'pipe',
      },
    )
    const [code, stdout] = await Promise.all([cli.exited, new Response(cli.stdout).text()])
    expect(code).toBe(0)
    const newKey = stdout.trim().split('\n').at(-1) as string
    expect(newKey).toMatch(/^bloop_[0-9a-f]{64}$/)

    const check = async (round: string) => {
      const seen: [string, [number, string]][] = []
      for (const [name, which, header] of AFTER_ROTATION) {
        seen.push([name, await send(which === 'old' ? TEST_SECRET : newKey, header, `${round} ${name}`)])
      }
      expect(seen).toEqual(AFTER_ROTATION.map(([name, , , want]) => [name, want]))
    }
    await check('running')
    // A restart with the same configured secret keeps the rotated key.
    server.proc.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    server = await spawnServer({ dir })
    await check('restarted')
  }, 60_000)
})
