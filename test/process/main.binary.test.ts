/** The single executable: built by build.ts, started from an empty directory, drained by SIGTERM. */
import { describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { sign } from '../../src/errors/ingest/hmac'
import { event, tempDir } from '../helpers'
import { REPO, spawnServer } from '../process'

describe('single executable', () => {
  test('builds, starts on port 0 from an empty directory, ingests, answers queries and stops on SIGTERM', async () => {
    const out = tempDir('bloop-bin-')
    const bin = join(out, 'bloop')
    const build = Bun.spawnSync([process.execPath, 'build.ts', `--outfile=${bin}`], { cwd: REPO })
    expect(build.exitCode).toBe(0)
    expect(existsSync(bin)).toBe(true)

    // The commit and build date are fixed at build time: the binary runs without git or a checkout.
    const head = Bun.spawnSync(['git', 'rev-parse', '--short', 'HEAD'], { cwd: REPO })
      .stdout.toString()
      .trim()
    for (const arg of ['version', '--version', '-v']) {
      const version = Bun.spawnSync([bin, arg], { cwd: out, env: { PATH: '/nonexistent' } })
      expect(version.stdout.toString()).toMatch(
        new RegExp(
          `^bloop \\d+\\.\\d+\\.\\d+ \\(commit ${head}, built \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\)\\n$`,
        ),
      )
    }

    // No secret configured: the binary generates one in its data directory (first run).
    const dir = tempDir('bloop-run-')
    const server = await spawnServer({
      dir,
      cmd: [bin],
      env: { BLOOP__AUTH__HMAC_SECRET: '', BLOOP__DATABASE__PATH: join(dir, 'data', 'bloop.db') },
    })
    const firstRun = server.lines
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'first run: generated an HMAC secret')
    expect(firstRun.default_project_key).toMatch(/^bloop_[0-9a-f]{64}$/)
    expect(existsSync(join(dir, 'data', 'hmac_secret'))).toBe(true)

    const key = firstRun.default_project_key as string
    const body = JSON.stringify(event({ message: 'from the binary' }))
    const res = await fetch(`${server.url}/v1/ingest`, {
      method: 'POST',
      headers: { 'x-project-key': key, 'x-signature': sign(key, body) },
      body,
    })
    expect(res.status).toBe(200)

    const env = { ...process.env, BLOOP__DATABASE__PATH: join(dir, 'data', 'bloop.db') }
    const tokenRun = Bun.spawnSync(
      [bin, 'token', 'create', '--project', 'default', '--scopes', 'errors:read'],
      {
        cwd: dir,
        env,
      },
    )
    expect(tokenRun.exitCode).toBe(0)
    const token = tokenRun.stdout.toString().trim().split('\n').at(-1) as string
    expect(token).toMatch(/^bloop_tk_/)
    const list = (await (
      await fetch(`${server.url}/v1/errors`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      items: { message: string; total_count: number }[]
    }
    expect(list.items.map((i) => [i.message, i.total_count])).toEqual([['from the binary', 1]])

    // The SDK's script-tag build is embedded too: same hash as sdk/js's own build.
    const manifest = (await (await fetch(`${server.url}/sdk/manifest.json`)).json()) as { integrity: string }
    const script = await (await fetch(`${server.url}/sdk/bloop.min.js`)).text()
    expect(manifest.integrity).toBe(
      `sha384-${new Bun.CryptoHasher('sha384').update(script).digest('base64')}`,
    )
    expect(script).toContain('Bloop')

    // The backup thread is embedded too.
    const backup = Bun.spawnSync([bin, 'backup', join(dir, 'copy.db')], { cwd: dir, env })
    expect(backup.stderr.toString()).toContain('integrity check ok')
    expect(backup.exitCode).toBe(0)

    // Source maps are parsed on threads of their own, entry points embedded in the binary too:
    // an upload (the upload thread) and a symbolicated read (the read thread).
    const mapsRun = Bun.spawnSync(
      [bin, 'token', 'create', '--project', 'default', '--scopes', 'sourcemaps:write,errors:read'],
      { cwd: dir, env },
    )
    const mapsToken = mapsRun.stdout.toString().trim().split('\n').at(-1) as string
    const map = {
      version: 3,
      sources: ['src/app.ts'],
      names: [],
      mappings: 'AAAA',
      sourcesContent: ['boom()'],
    }
    const upload = await fetch(`${server.url}/v1/projects/default/sourcemaps`, {
      method: 'POST',
      headers: { authorization: `Bearer ${mapsToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ release: '1.0.0', filename: 'app.js.map', map }),
    })
    expect(upload.status).toBe(201)
    const mapped = JSON.stringify(
      event({ fingerprint: 'bin-mapped', stack: 'Error: x\n    at f (https://cdn.example.com/app.js:1:1)' }),
    )
    const sent = await fetch(`${server.url}/v1/ingest`, {
      method: 'POST',
      headers: { 'x-project-key': key, 'x-signature': sign(key, mapped) },
      body: mapped,
    })
    expect(sent.status).toBe(200)
    const issue = (await (
      await fetch(`${server.url}/v1/errors/bin-mapped`, { headers: { authorization: `Bearer ${mapsToken}` } })
    ).json()) as { samples: { symbolicated?: { frames: { original: { file: string } | null }[] } }[] }
    expect(issue.samples[0]?.symbolicated?.frames.map((f) => f.original?.file ?? null)).toEqual([
      null,
      'src/app.ts',
    ])

    server.proc.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  }, 120_000)
})
