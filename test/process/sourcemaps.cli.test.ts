/**
 * `bloop sourcemaps upload` as CI runs it: a separate process talking HTTP to a real
 * server listening on a loopback port, uploading a real build directory.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { testConfig } from '../../src/config/load'
import { createLogger } from '../../src/ops/log'
import { type Served, serve } from '../../src/server'
import { serverUrl } from '../../src/sourcemaps/cli'
import { createToken } from '../../src/tokens/store'
import { projectOnSqlite, TEST_SECRET, tempDir } from '../helpers'
import { type Build, buildApp } from '../sourcemaps.helpers'

const MAIN = join(import.meta.dir, '..', '..', 'src', 'main.ts')

let app: Build
let served: Served
let dataDir: string
let token: string
beforeAll(async () => {
  app = await buildApp()
  dataDir = tempDir()
  const config = testConfig({
    server: { host: '127.0.0.1', port: 0 },
    database: { path: join(dataDir, 'bloop.db') },
    auth: { hmac_secret: TEST_SECRET },
    log: { level: 'error' },
  })
  served = await serve(config, { log: createLogger('error') })
  token = (
    await createToken(served.runtime.core.backend, {
      projectId: 'default',
      name: 'ci',
      scopes: ['sourcemaps:write'],
    })
  ).token
})
afterAll(async () => {
  await served.stop()
  rmSync(dataDir, { recursive: true, force: true })
  rmSync(app.dir, { recursive: true, force: true })
})

async function cli(args: string[], env: Record<string, string> = {}, cwd?: string) {
  const proc = Bun.spawn([process.execPath, MAIN, 'sourcemaps', 'upload', ...args], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, BLOOP_TOKEN: '', ...env },
    cwd,
  })
  const [stdout, stderr] = [await new Response(proc.stdout).text(), await new Response(proc.stderr).text()]
  return { code: await proc.exited, stdout, stderr }
}

function listed(release: string) {
  return served.runtime.core.db
    .query('SELECT filename FROM sourcemaps WHERE project_id = ? AND release = ? ORDER BY filename')
    .all('default', release)
    .map((r) => (r as { filename: string }).filename)
}

/** A build directory: the real map at the top and under assets/, a non-map file, node_modules ignored. */
function buildDir(): string {
  const dir = tempDir('bloop-dist-')
  mkdirSync(join(dir, 'assets', 'chunks'), { recursive: true })
  mkdirSync(join(dir, 'node_modules', 'dep'), { recursive: true })
  cpSync(app.map, join(dir, 'app.min.js.map'))
  cpSync(app.map, join(dir, 'assets', 'chunks', 'vendor.min.js.map'))
  cpSync(app.script, join(dir, 'app.min.js'))
  cpSync(app.map, join(dir, 'node_modules', 'dep', 'index.js.map'))
  return dir
}

describe('bloop sourcemaps upload', () => {
  test('uploads every .map under the directory by relative path, with progress on stderr', async () => {
    const dir = buildDir()
    const r = await cli(['--project', 'default', '--release', 'web@3.1.0', '--url', served.url.origin, dir], {
      BLOOP_TOKEN: token,
    })
    expect(r.code).toBe(0)
    expect(listed('web@3.1.0')).toEqual(['app.min.js.map', 'assets/chunks/vendor.min.js.map'])
    const progress = r.stderr.trim().split('\n')
    expect(progress[0]).toContain('uploading 2 source map(s) for release web@3.1.0')
    expect(progress[1]).toMatch(/^\[1\/2\] app\.min\.js\.map \([\d.]+ KB\) uploaded \(id \d+\)$/)
    expect(progress[2]).toMatch(
      /^\[2\/2\] assets\/chunks\/vendor\.min\.js\.map \([\d.]+ KB\) uploaded \(id \d+\)$/,
    )
    expect(r.stdout.trim()).toMatch(/^uploaded 2 source map\(s\) \([\d.]+ KB\) for release web@3\.1\.0$/)

    const again = await cli([
      '--project',
      'default',
      '--release',
      'web@3.1.0',
      '--url',
      served.url.origin,
      '--token',
      token,
      dir,
    ])
    expect(again.code).toBe(0)
    expect(again.stderr).toContain('[1/2] app.min.js.map')
    expect(again.stderr).toContain('replaced (id')
    expect(listed('web@3.1.0')).toHaveLength(2)
    rmSync(dir, { recursive: true, force: true })
  })

  test('a broken map fails alone: the others are uploaded and the exit code is 1', async () => {
    const dir = buildDir()
    writeFileSync(join(dir, 'assets', 'broken.js.map'), '{"version": 3, "mappings": ')
    const r = await cli([
      '--project',
      'default',
      '--release',
      'web@4',
      '--url',
      served.url.origin,
      '--token',
      token,
      dir,
    ])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('assets/broken.js.map')
    expect(r.stderr).toMatch(/FAILED: 400 invalid source map/)
    expect(r.stdout).toContain('uploaded 2 of 3 source map(s) for release web@4; 1 failed')
    expect(listed('web@4')).toEqual(['app.min.js.map', 'assets/chunks/vendor.min.js.map'])
    rmSync(dir, { recursive: true, force: true })
  })

  test('a bad token, a foreign project or a missing token stop with a clear message', async () => {
    const dir = buildDir()
    const base = ['--release', 'web@5', '--url', served.url.origin]
    const badToken = await cli([...base, '--project', 'default', '--token', 'bloop_tk_nope', dir])
    expect(badToken.code).toBe(1)
    expect(badToken.stderr).toContain('FAILED: 401')
    expect(badToken.stdout).toContain('1 failed, 1 not attempted')
    projectOnSqlite(served.runtime.core.db, { name: 'Other', slug: 'other' })
    const foreign = await cli([...base, '--project', 'other', '--token', token, dir])
    expect([foreign.code, foreign.stderr.includes('FAILED: 404')]).toEqual([1, true])
    const noToken = await cli([...base, '--project', 'default', dir])
    expect(noToken.code).toBe(2)
    expect(noToken.stderr).toContain('--token or BLOOP_TOKEN')
    expect(listed('web@5')).toEqual([])
    rmSync(dir, { recursive: true, force: true })
  })

  test('a directory without maps, or no directory, is an error', async () => {
    const empty = tempDir('bloop-empty-')
    const none = await cli([
      '--project',
      'default',
      '--release',
      'r',
      '--url',
      served.url.origin,
      '--token',
      token,
      empty,
    ])
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('no .map files under')
    const missing = await cli([
      '--project',
      'default',
      '--release',
      'r',
      '--token',
      token,
      join(empty, 'nope'),
    ])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('is not a directory')
    const noRelease = await cli(['--project', 'default', '--token', token, empty])
    expect([noRelease.code, noRelease.stderr.includes('--release is required')]).toEqual([2, true])
    rmSync(empty, { recursive: true, force: true })
  })

  test('without --url it uploads to the server of its configuration (file or BLOOP__ variables)', async () => {
    const dir = buildDir()
    // Not the default port: only the configuration says where this server listens.
    expect(served.port).not.toBe(5332)
    const work = tempDir('bloop-ci-')
    const config = join(work, 'ci.toml')
    writeFileSync(config, `[server]\nhost = "127.0.0.1"\nport = ${served.port}\n`)
    const fromFile = await cli(['--project', 'default', '--release', 'cfg@1', '--config', config, dir], {
      BLOOP_TOKEN: token,
    })
    expect([fromFile.code, fromFile.stderr.split('\n')[0]]).toEqual([
      0,
      `uploading 2 source map(s) for release cfg@1 to http://127.0.0.1:${served.port}, project default`,
    ])
    // In a directory without config.toml, the variables alone (wildcard host: this machine).
    const fromEnv = await cli(
      ['--project', 'default', '--release', 'cfg@2', dir],
      { BLOOP_TOKEN: token, BLOOP__SERVER__PORT: String(served.port), BLOOP__SERVER__HOST: '0.0.0.0' },
      work,
    )
    expect([fromEnv.code, fromEnv.stderr.split('\n')[0]]).toEqual([
      0,
      `uploading 2 source map(s) for release cfg@2 to http://localhost:${served.port}, project default`,
    ])
    expect([listed('cfg@1').length, listed('cfg@2').length]).toEqual([2, 2])
    rmSync(dir, { recursive: true, force: true })
    rmSync(work, { recursive: true, force: true })
  })
})

describe('the server a configuration points at', () => {
  const url = (server: { host?: string; port?: number }, rp_origin?: string) =>
    serverUrl(testConfig({ server, auth: rp_origin ? { rp_origin } : {} }))

  test('is the listener on this machine while auth.rp_origin is a loopback address', () => {
    expect(url({})).toBe('http://localhost:5332')
    expect(url({ port: 8080 })).toBe('http://localhost:8080')
    expect(url({ host: '0.0.0.0', port: 8080 }, 'http://127.0.0.1:8080')).toBe('http://localhost:8080')
    expect(url({ host: '127.0.0.1', port: 9000 })).toBe('http://127.0.0.1:9000')
    expect(url({ host: '::1', port: 9000 })).toBe('http://[::1]:9000')
  })

  test('is auth.rp_origin when it names another machine (a proxy in front of the listener)', () => {
    expect(url({ port: 8080 }, 'https://errors.example.com')).toBe('https://errors.example.com')
    expect(url({}, 'http://10.0.0.5:5332/')).toBe('http://10.0.0.5:5332')
  })

  test('a port chosen at start cannot be known: pass --url', () => {
    expect(() => url({ port: 0 })).toThrow('server.port is 0')
  })
})
