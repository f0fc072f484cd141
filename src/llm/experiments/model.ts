/**
 * The experiment routes' bodies: parsed from untrusted JSON into a checked change or a
 * 400 naming the field. Pure.
 *
 * Create accepts two shapes:
 * - `{name, description?, prompt_name, variants: [{name, version, prompt_template?,
 *   traffic_percentage}], planned_per_arm?, minimum_detectable_effect?, metrics?}`;
 * - the earlier README's `{name, prompt_a: {template, version?}, prompt_b: {...}, metrics?}`,
 *   read as two variants `a` and `b` at 50% each, of the prompt named `prompt_name` (or the
 *   experiment's name), versions `a` and `b` unless given.
 * Variants: 2 to 10, unique names and versions, percentages from 0 to 100 summing to 100.
 * The first variant is the baseline unless a comparison names another.
 *
 * The horizon (observations per arm before a p-value may be read) is fixed at creation:
 * `planned_per_arm`, or the sample size that detects `minimum_detectable_effect` (a
 * standardized effect, default 0.2, "small") at alpha 0.05 and power 0.8.
 */
import { AppError } from '../../http/errors'
import { requiredPerArm } from './stats'

export const METRICS = ['latency', 'cost', 'error_rate', 'thumbs_up_rate', 'scores'] as const
export type MetricName = (typeof METRICS)[number]
export const STATUSES = ['running', 'paused', 'concluded'] as const
export type ExperimentStatus = (typeof STATUSES)[number]

export const MAX_VARIANTS = 10
export const MIN_VARIANTS = 2
export const MAX_NAME_CHARS = 200
export const MAX_TEMPLATE_CHARS = 64 * 1024
export const MAX_DESCRIPTION_CHARS = 4096
export const MAX_PLANNED_PER_ARM = 10_000_000
export const DEFAULT_EFFECT = 0.2

export interface VariantInput {
  name: string
  version: string
  prompt_template: string | null
  traffic_percentage: number
}

export interface ExperimentCreate {
  name: string
  description: string | null
  prompt_name: string
  variants: VariantInput[]
  planned_per_arm: number
  metrics: MetricName[]
}

export interface ExperimentPatch {
  status?: ExperimentStatus
  name?: string
  description?: string | null
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const bad = (field: string, message: string) =>
  new AppError('invalid_field', `${field}: ${message}`, { field })

function str(o: Obj, key: string, field: string, max: number, required: true): string
function str(o: Obj, key: string, field: string, max: number, required: false): string | null
function str(o: Obj, key: string, field: string, max: number, required: boolean): string | null {
  let v = o[key]
  if (v === undefined || v === null) {
    if (required) throw bad(field, 'is required')
    return null
  }
  // A version is often written as a number (`"version": 2`).
  if (typeof v === 'number' && Number.isFinite(v)) v = String(v)
  if (typeof v !== 'string') throw bad(field, `expected a string, got ${typeof v}`)
  if (required && v.trim() === '') throw bad(field, 'must not be empty')
  if (v.length > max) throw bad(field, `has ${v.length} characters; the maximum is ${max}`)
  return v
}

function only(o: Obj, keys: readonly string[], at = '') {
  for (const k of Object.keys(o))
    if (!keys.includes(k)) throw bad(`${at}${k}`, `is not a known field (known: ${keys.join(', ')})`)
}

function variant(raw: unknown, i: number): VariantInput {
  const at = `variants[${i}]`
  if (!isObj(raw)) throw bad(at, 'expected an object')
  only(raw, ['name', 'version', 'prompt_template', 'traffic_percentage'], `${at}.`)
  const pct = raw.traffic_percentage
  if (typeof pct !== 'number' || !Number.isFinite(pct) || pct < 0 || pct > 100)
    throw bad(`${at}.traffic_percentage`, `expected a number from 0 to 100, got ${JSON.stringify(pct)}`)
  return {
    name: str(raw, 'name', `${at}.name`, MAX_NAME_CHARS, true),
    version: str(raw, 'version', `${at}.version`, MAX_NAME_CHARS, true),
    prompt_template: str(raw, 'prompt_template', `${at}.prompt_template`, MAX_TEMPLATE_CHARS, false),
    traffic_percentage: pct,
  }
}

/** The seed README's `prompt_a` / `prompt_b`. */
function seedVariant(raw: unknown, key: 'prompt_a' | 'prompt_b'): VariantInput {
  if (!isObj(raw)) throw bad(key, 'expected an object {"template": "...", "version"?: "..."}')
  only(raw, ['template', 'version', 'name'], `${key}.`)
  const letter = key.slice(-1)
  return {
    name: str(raw, 'name', `${key}.name`, MAX_NAME_CHARS, false) ?? letter,
    version: str(raw, 'version', `${key}.version`, MAX_NAME_CHARS, false) ?? letter,
    prompt_template: str(raw, 'template', `${key}.template`, MAX_TEMPLATE_CHARS, false),
    traffic_percentage: 50,
  }
}

function metrics(raw: unknown): MetricName[] {
  if (raw === undefined || raw === null) return [...METRICS]
  if (!Array.isArray(raw) || raw.length === 0)
    throw bad('metrics', `expected a non-empty array of ${METRICS.join(', ')}`)
  const out: MetricName[] = []
  for (const [i, m] of raw.entries()) {
    // The earlier README wrote "scores" and "score"; both mean every score name.
    const name = m === 'score' ? 'scores' : m
    if (typeof name !== 'string' || !(METRICS as readonly string[]).includes(name))
      throw bad(`metrics[${i}]`, `expected one of ${METRICS.join(', ')}, got ${JSON.stringify(m)}`)
    if (!out.includes(name as MetricName)) out.push(name as MetricName)
  }
  return out
}

function horizon(o: Obj): number {
  const planned = o.planned_per_arm
  if (planned !== undefined && planned !== null) {
    if (
      typeof planned !== 'number' ||
      !Number.isSafeInteger(planned) ||
      planned < 2 ||
      planned > MAX_PLANNED_PER_ARM
    )
      throw bad(
        'planned_per_arm',
        `expected an integer from 2 to ${MAX_PLANNED_PER_ARM}, got ${JSON.stringify(planned)}`,
      )
    if (o.minimum_detectable_effect !== undefined)
      throw bad('minimum_detectable_effect', 'give planned_per_arm or minimum_detectable_effect, not both')
    return planned
  }
  const effect = o.minimum_detectable_effect ?? DEFAULT_EFFECT
  if (typeof effect !== 'number' || !Number.isFinite(effect) || effect < 0.01 || effect > 5)
    throw bad(
      'minimum_detectable_effect',
      `expected a standardized effect from 0.01 to 5, got ${JSON.stringify(effect)}`,
    )
  // Rounded up: a fraction of a trace cannot be observed, and rounding down would underpower.
  return Math.max(2, Math.ceil(requiredPerArm(effect) as number))
}

export function parseCreate(raw: unknown): ExperimentCreate {
  if (!isObj(raw)) throw new AppError('invalid_json', 'request body must be a JSON object')
  only(raw, [
    'name',
    'description',
    'prompt_name',
    'variants',
    'prompt_a',
    'prompt_b',
    'metrics',
    'planned_per_arm',
    'minimum_detectable_effect',
  ])
  const name = str(raw, 'name', 'name', MAX_NAME_CHARS, true)
  let variants: VariantInput[]
  if (raw.variants !== undefined) {
    if (raw.prompt_a !== undefined || raw.prompt_b !== undefined)
      throw bad('variants', 'give variants or prompt_a/prompt_b, not both')
    if (!Array.isArray(raw.variants)) throw bad('variants', 'expected an array of variants')
    variants = raw.variants.map(variant)
  } else if (raw.prompt_a !== undefined || raw.prompt_b !== undefined) {
    variants = [seedVariant(raw.prompt_a, 'prompt_a'), seedVariant(raw.prompt_b, 'prompt_b')]
  } else throw bad('variants', 'is required: [{name, version, prompt_template, traffic_percentage}, ...]')
  if (variants.length < MIN_VARIANTS || variants.length > MAX_VARIANTS)
    throw bad('variants', `expected ${MIN_VARIANTS} to ${MAX_VARIANTS} variants, got ${variants.length}`)
  for (const key of ['name', 'version'] as const) {
    const seen = new Set<string>()
    variants.forEach((v, i) => {
      if (seen.has(v[key])) throw bad(`variants[${i}].${key}`, `${JSON.stringify(v[key])} appears twice`)
      seen.add(v[key])
    })
  }
  // Percentages are decimals from people (33.3 + 33.3 + 33.4): compared in basis points.
  const total = variants.reduce((s, v) => s + Math.round(v.traffic_percentage * 100), 0)
  if (total !== 10_000) throw bad('variants', `traffic percentages must sum to 100, got ${total / 100}`)
  return {
    name,
    description: str(raw, 'description', 'description', MAX_DESCRIPTION_CHARS, false),
    prompt_name: str(raw, 'prompt_name', 'prompt_name', MAX_NAME_CHARS, false) ?? name,
    variants,
    planned_per_arm: horizon(raw),
    metrics: metrics(raw.metrics),
  }
}

export function parsePatch(raw: unknown): ExperimentPatch {
  if (!isObj(raw)) throw new AppError('invalid_json', 'request body must be a JSON object')
  only(raw, ['status', 'name', 'description'])
  const out: ExperimentPatch = {}
  if (raw.status !== undefined) {
    if (typeof raw.status !== 'string' || !(STATUSES as readonly string[]).includes(raw.status))
      throw bad('status', `expected one of ${STATUSES.join(', ')}, got ${JSON.stringify(raw.status)}`)
    out.status = raw.status as ExperimentStatus
  }
  if (raw.name !== undefined) out.name = str(raw, 'name', 'name', MAX_NAME_CHARS, true)
  if (raw.description !== undefined)
    out.description = str(raw, 'description', 'description', MAX_DESCRIPTION_CHARS, false)
  if (Object.keys(out).length === 0)
    throw new AppError('bad_request', 'nothing to change: send status, name or description')
  return out
}
