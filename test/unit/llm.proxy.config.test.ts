/** `[llm_tracing.proxy]`: its keys from the environment, and the upstream table built from it. */
import { describe, expect, test } from 'bun:test'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, testConfig } from '../../src/config/load'
import { upstreamTable } from '../../src/llm/proxy/upstreams'

const noFile = () => {
  const path = join(mkdtempSync(join(tmpdir(), 'bloop-proxy-config-')), 'empty.toml')
  writeFileSync(path, '')
  return path
}

describe('proxy config', () => {
  test('defaults: the providers own APIs, no named upstreams, auth required, 20 MiB, 10 minutes', () => {
    expect(testConfig().llm_tracing.proxy).toEqual({
      openai_base_url: 'https://api.openai.com/v1',
      anthropic_base_url: 'https://api.anthropic.com',
      upstreams: {},
      stream_usage: true,
      allow_anonymous: false,
      max_body_bytes: 20 * 1024 * 1024,
      timeout_secs: 600,
    })
  })

  test('nested keys and named upstreams come from BLOOP__LLM_TRACING__PROXY__* variables', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bloop-proxy-config-')), 'bloop.toml')
    writeFileSync(
      path,
      '[llm_tracing.proxy]\ntimeout_secs = 30\n[llm_tracing.proxy.upstreams]\nollama = "http://127.0.0.1:11434/v1"\n',
    )
    const c = loadConfig({
      path,
      env: {
        BLOOP__LLM_TRACING__PROXY__OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
        BLOOP__LLM_TRACING__PROXY__ALLOW_ANONYMOUS: 'true',
        BLOOP__LLM_TRACING__PROXY__UPSTREAMS__GROQ: 'https://api.groq.com/openai/v1',
      },
    }).llm_tracing.proxy
    expect(c).toMatchObject({
      openai_base_url: 'http://127.0.0.1:9/v1',
      allow_anonymous: true,
      timeout_secs: 30,
      upstreams: { ollama: 'http://127.0.0.1:11434/v1', groq: 'https://api.groq.com/openai/v1' },
    })
  })

  test('an unknown nested key, or a table set as a value, stops loading with the key named', () => {
    expect(() => loadConfig({ path: noFile(), env: { BLOOP__LLM_TRACING__PROXY__BASE: 'x' } })).toThrow(
      'BLOOP__LLM_TRACING__PROXY__BASE: unknown config key "llm_tracing.proxy.base"',
    )
    expect(() => loadConfig({ path: noFile(), env: { BLOOP__LLM_TRACING__PROXY: 'x' } })).toThrow(
      '"llm_tracing.proxy" is a table; set one of its keys',
    )
    expect(() =>
      loadConfig({ path: noFile(), env: { BLOOP__LLM_TRACING__PROXY__UPSTREAMS__BAD_NAME_: '' } }),
    ).toThrow('invalid configuration')
  })

  test('the upstream table: built-ins first, named ones after; a built-in name or a bad URL is refused', () => {
    const proxy = testConfig().llm_tracing.proxy
    const table = upstreamTable({ ...proxy, upstreams: { groq: 'https://api.groq.com/openai/v1/' } })
    expect([...table.values()]).toEqual([
      { name: 'openai', dialect: 'openai', baseUrl: 'https://api.openai.com/v1' },
      { name: 'anthropic', dialect: 'anthropic', baseUrl: 'https://api.anthropic.com' },
      { name: 'groq', dialect: 'openai', baseUrl: 'https://api.groq.com/openai/v1' },
    ])
    expect(() => upstreamTable({ ...proxy, upstreams: { openai: 'https://example.com' } })).toThrow(
      'llm_tracing.proxy.upstreams.openai: "openai" is built in; set llm_tracing.proxy.openai_base_url instead',
    )
    expect(() => upstreamTable({ ...proxy, upstreams: { local: 'ftp://x' } })).toThrow(
      'the base URL of proxy upstream local must be http(s), got "ftp://x"',
    )
  })
})
