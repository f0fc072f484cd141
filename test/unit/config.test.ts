import { describe, expect, test } from 'bun:test'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { applyEnv, ConfigError, loadConfig, testConfig, validateConfig } from '../../src/config/load'
import { renderDefaultConfig } from '../../src/config/render'
import { resolveSecret, SECRET_FILE } from '../../src/config/secret'
import { tempDir } from '../helpers'

describe('config', () => {
  test('config.toml in the repository lists every key with the schema defaults', () => {
    expect(readFileSync(join(import.meta.dir, '..', '..', 'config.toml'), 'utf8')).toBe(renderDefaultConfig())
  })

  test('defaults apply when nothing is configured', () => {
    const c = validateConfig({})
    expect(c.server.port).toBe(5332)
    expect(c.ingest.max_payload_bytes).toBe(32768)
    expect(c.ingest.max_batch_size).toBe(100)
    expect(c.database.path).toBe('data/bloop.db')
  })

  test('BLOOP__SECTION__KEY overrides the file and is coerced to the schema type', () => {
    const dir = tempDir()
    const file = join(dir, 'c.toml')
    writeFileSync(file, '[server]\nport = 7000\n[smtp]\nenabled = false\n')
    const c = loadConfig({
      path: file,
      env: {
        BLOOP__SERVER__PORT: '8080',
        BLOOP__SMTP__ENABLED: 'true',
        BLOOP__SERVER__TRUSTED_PROXIES: '10.0.0.1, 10.0.0.2',
      },
    })
    expect(c.server.port).toBe(8080)
    expect(c.smtp.enabled).toBe(true)
    expect(c.server.trusted_proxies).toEqual(['10.0.0.1', '10.0.0.2'])
  })

  test('an unknown key in the file stops startup with the key named', () => {
    expect(() => validateConfig({ server: { prot: 1 } })).toThrow('unknown key "server.prot"')
    expect(() => validateConfig({ serverx: {} })).toThrow('unknown key "serverx"')
  })

  test('an unknown environment key is rejected with the variable named', () => {
    expect(() => applyEnv({}, { BLOOP__SERVER__PROT: '1' })).toThrow(
      'BLOOP__SERVER__PROT: unknown config key "server.prot"',
    )
    expect(() => applyEnv({}, { BLOOP__NOPE__X: '1' })).toThrow('unknown config section "nope"')
  })

  test('a bad value names the key', () => {
    expect(() => applyEnv({}, { BLOOP__SERVER__PORT: 'eighty' })).toThrow(
      'BLOOP__SERVER__PORT: expected a number',
    )
    expect(() => validateConfig({ server: { port: 70000 } })).toThrow('server.port')
    expect(() => validateConfig({ smtp: { enabled: 'yes' } })).toThrow('smtp.enabled')
  })

  test('an explicit --config path that does not exist is an error; a missing default file is not', () => {
    expect(() => loadConfig({ path: '/nonexistent/bloop.toml', env: {} })).toThrow(ConfigError)
    expect(loadConfig({ env: { BLOOP__SERVER__PORT: '1234' } }).server.port).toBe(1234)
  })

  test('invalid TOML is reported with the file name', () => {
    const file = join(tempDir(), 'bad.toml')
    writeFileSync(file, '[server\nport = ')
    expect(() => loadConfig({ path: file, env: {} })).toThrow(`config file ${file} is not valid TOML`)
  })

  test('testConfig rejects unknown keys like a real file', () => {
    expect(() => testConfig({ server: { nope: 1 } as never })).toThrow('unknown key "server.nope"')
  })
})

describe('hmac secret', () => {
  test('is generated on first run, kept in the data directory with mode 0600, and reused', () => {
    const dir = tempDir()
    const config = testConfig({ database: { path: join(dir, 'db', 'bloop.db') } })
    const first = resolveSecret(config)
    expect(first.generated).toBe(true)
    expect(first.secret).toMatch(/^bloop_[0-9a-f]{64}$/)
    const file = join(dir, 'db', SECRET_FILE)
    expect(existsSync(file)).toBe(true)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const second = resolveSecret(config)
    expect(second.generated).toBe(false)
    expect(second.secret).toBe(first.secret)
  })

  test('the placeholder secret is refused with a fix', () => {
    const config = testConfig({ auth: { hmac_secret: 'change-me-in-production' } })
    expect(() => resolveSecret(config)).toThrow('openssl rand -hex 32')
  })

  test('a configured secret shorter than 32 characters is refused; 32 is accepted', () => {
    expect(() => resolveSecret(testConfig({ auth: { hmac_secret: 'x'.repeat(31) } }))).toThrow('at least 32')
    const ok = resolveSecret(testConfig({ auth: { hmac_secret: 'x'.repeat(32) } }))
    expect(ok).toEqual({ secret: 'x'.repeat(32), configured: true, generated: false })
  })
})
