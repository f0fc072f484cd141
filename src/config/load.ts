/**
 * Reads configuration: defaults from the schema, then the TOML file, then
 * `BLOOP__SECTION__KEY` environment variables (coerced to the schema's types).
 * This module and `secret.ts` are the only readers of files and the environment for
 * configuration; everything else receives the validated object.
 */
import { existsSync, readFileSync } from 'node:fs'
import type { TObject, TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { fsProblem, runningAs } from '../ops/problems'
import { type Config, ConfigSchema } from './schema'

export class ConfigError extends Error {
  override name = 'ConfigError'
}

type Json = Record<string, unknown>
const ENV_PREFIX = 'BLOOP__'

/** Parses a TOML file. A missing file is fine only when the path was not chosen explicitly. */
export function readConfigFile(path: string, explicit: boolean): Json {
  if (!existsSync(path)) {
    if (explicit) throw new ConfigError(`config file ${path} does not exist (given with --config)`)
    return {}
  }
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw (
      fsProblem(
        err,
        'cannot read the config file',
        path,
        `give --config a TOML file readable by ${runningAs()}`,
      ) ?? err
    )
  }
  try {
    return Bun.TOML.parse(text) as Json
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid TOML: ${(err as Error).message}`, { cause: err })
  }
}

/**
 * Overlays BLOOP__SECTION__KEY variables onto `base`, coercing each to the schema's type.
 * A key inside a sub-table takes one more part per level
 * (`BLOOP__LLM_TRACING__PROXY__OPENAI_BASE_URL`), and a table of names takes the name as
 * its last part (`BLOOP__LLM_TRACING__PROXY__UPSTREAMS__GROQ`).
 */
export function applyEnv(base: Json, env: Record<string, string | undefined>): Json {
  const out: Json = structuredClone(base)
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue
    const path = name.slice(ENV_PREFIX.length).toLowerCase().split('__')
    if (path.length < 2 || path.some((p) => p === '')) {
      throw new ConfigError(`${name}: expected BLOOP__SECTION__KEY (two parts after the prefix)`)
    }
    const sectionSchema = (ConfigSchema.properties as Record<string, TObject | undefined>)[path[0] as string]
    if (!sectionSchema) throw new ConfigError(`${name}: unknown config section "${path[0]}"`)
    let schema: TSchema = sectionSchema
    let target = out
    for (let i = 1; i < path.length; i++) {
      const key = path[i] as string
      const child = childSchema(schema, key)
      if (!child) throw new ConfigError(`${name}: unknown config key "${path.slice(0, i + 1).join('.')}"`)
      const parent = path[i - 1] as string
      if (typeof target[parent] !== 'object' || target[parent] === null) target[parent] = {}
      target = target[parent] as Json
      schema = child
    }
    if (schema.type === 'object')
      throw new ConfigError(`${name}: "${path.join('.')}" is a table; set one of its keys`)
    target[path[path.length - 1] as string] = coerce(schema, raw, name)
  }
  return out
}

/** The schema of `key` inside a table: a declared property, or any name of a record. */
function childSchema(schema: TSchema, key: string): TSchema | undefined {
  if (schema.type !== 'object') return undefined
  const declared = (schema.properties as Record<string, TSchema> | undefined)?.[key]
  if (declared) return declared
  const patterns = schema.patternProperties as Record<string, TSchema> | undefined
  if (!patterns) return undefined
  for (const [pattern, value] of Object.entries(patterns)) if (new RegExp(pattern).test(key)) return value
  return undefined
}

function coerce(schema: TSchema, raw: string, name: string): unknown {
  const type = schema.type
  if (type === 'integer' || type === 'number') {
    const n = Number(raw.trim())
    if (raw.trim() === '' || !Number.isFinite(n))
      throw new ConfigError(`${name}: expected a number, got "${raw}"`)
    return n
  }
  if (type === 'boolean') {
    const v = raw.trim().toLowerCase()
    if (v === 'true' || v === '1') return true
    if (v === 'false' || v === '0') return false
    throw new ConfigError(`${name}: expected true or false, got "${raw}"`)
  }
  if (type === 'array') {
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
  }
  return raw
}

/**
 * The global alert fallbacks keep the names deployments already use (docs/decisions.md,
 * "Alerts"): `BLOOP_SLACK_WEBHOOK_URL`
 * and `BLOOP_WEBHOOK_URL` set `alerting.slack_webhook_url` / `alerting.webhook_url` (a
 * `BLOOP__ALERTING__...` variable, applied after, still wins).
 */
export const LEGACY_ENV: Record<string, [section: string, key: string]> = {
  BLOOP_SLACK_WEBHOOK_URL: ['alerting', 'slack_webhook_url'],
  BLOOP_WEBHOOK_URL: ['alerting', 'webhook_url'],
}

export function applyLegacyEnv(base: Json, env: Record<string, string | undefined>): Json {
  const out: Json = structuredClone(base)
  for (const [name, [section, key]] of Object.entries(LEGACY_ENV)) {
    const raw = env[name]
    if (raw === undefined || raw.trim() === '') continue
    if (out[section] === undefined) out[section] = {}
    ;(out[section] as Json)[key] = raw.trim()
  }
  return out
}

/** A configured fallback URL must be http(s); a typo should stop startup, not lose alerts. */
function checkFallbackUrls(config: Config): void {
  for (const [name, [section, key]] of Object.entries(LEGACY_ENV)) {
    const value = (config as unknown as Record<string, Record<string, unknown>>)[section]?.[key]
    if (typeof value !== 'string' || value === '') continue
    let url: URL | null = null
    try {
      url = new URL(value)
    } catch {}
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw new ConfigError(`${section}.${key} (or ${name}) must be an http(s) URL, got "${value}"`)
    }
  }
}

/** Caps that only make sense together: a batch must be able to hold its largest event. */
function checkIngestCaps(config: Config): void {
  const { max_batch_bytes, max_payload_bytes } = config.ingest
  if (max_batch_bytes < max_payload_bytes) {
    throw new ConfigError(
      `ingest.max_batch_bytes (${max_batch_bytes}) must be at least ingest.max_payload_bytes (${max_payload_bytes}): a batch must hold its largest event`,
    )
  }
}

/** The values of a union of literals (`log.level`, ...), so an error can list them; else null. */
function literalChoices(schema: TSchema): unknown[] | null {
  const members = (schema as { anyOf?: TSchema[] }).anyOf
  if (!members?.every((m) => m.const !== undefined)) return null
  return members.map((m) => m.const)
}

/** Fills defaults and validates; the first error names the key. */
export function validateConfig(input: Json): Config {
  const withDefaults = Value.Default(ConfigSchema, structuredClone(input)) as Json
  for (const error of Value.Errors(ConfigSchema, withDefaults)) {
    const key = error.path.replace(/^\//, '').replaceAll('/', '.') || '(root)'
    const allowed = literalChoices(error.schema)
    const what =
      error.message === 'Unexpected property'
        ? `unknown key "${key}"`
        : allowed
          ? `${key} must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')} (got ${JSON.stringify(error.value)})`
          : `${key}: ${error.message} (got ${JSON.stringify(error.value)})`
    throw new ConfigError(`invalid configuration: ${what}`)
  }
  checkFallbackUrls(withDefaults as Config)
  checkIngestCaps(withDefaults as Config)
  return withDefaults as Config
}

export interface LoadOptions {
  path?: string
  env?: Record<string, string | undefined>
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const explicit = opts.path !== undefined
  const file = readConfigFile(opts.path ?? 'config.toml', explicit)
  const env = opts.env ?? process.env
  return validateConfig(applyEnv(applyLegacyEnv(file, env), env))
}

/** For tests: defaults plus overrides; unknown keys are rejected like in a real file. */
export function testConfig(overrides: { [S in keyof Config]?: Partial<Config[S]> } = {}): Config {
  return validateConfig(overrides as Json)
}
