/**
 * Validation of the LLM write API's bodies (settings, budget, scores, feedback). Pure;
 * each failure names its field, and unknown fields are refused so that a misspelt key
 * is a 400, not a silent no-op.
 */
import { AppError } from '../../http/errors'
import { CONTENT_POLICIES, isContentPolicy } from '../ingest/contract'
import type { SettingsChange } from './store'

type Obj = Record<string, unknown>

const fail = (field: string, message: string) => new AppError('invalid_field', message, { field })

export function asObject(body: unknown): Obj {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new AppError('invalid_json', 'request body must be a JSON object')
  return body as Obj
}

function onlyKeys(b: Obj, allowed: readonly string[]): void {
  for (const key of Object.keys(b))
    if (!allowed.includes(key)) throw fail(key, `unknown field ${key}; expected ${allowed.join(', ')}`)
}

const MAX_MICROS = Number.MAX_SAFE_INTEGER

/** PUT /v1/llm/settings: `content_policy` (null: back to the config default), `retention_days` (null: the global window). */
export function parseSettings(body: unknown): SettingsChange {
  const b = asObject(body)
  onlyKeys(b, ['content_policy', 'retention_days'])
  const change: SettingsChange = {}
  if ('content_policy' in b) {
    const v = b.content_policy
    if (v !== null && !isContentPolicy(v))
      throw fail(
        'content_policy',
        `content_policy must be one of ${CONTENT_POLICIES.join(', ')} or null (got ${JSON.stringify(v)?.slice(0, 40)})`,
      )
    change.content_policy = v
  }
  if ('retention_days' in b) {
    const v = b.retention_days
    if (v !== null && !(typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 3650))
      throw fail(
        'retention_days',
        `retention_days must be an integer from 1 to 3650, or null for the global window (got ${JSON.stringify(v)?.slice(0, 40)})`,
      )
    change.retention_days = v
  }
  return change
}

/** PUT /v1/llm/budget: monthly_budget_micros (0: no budget), budget_alert_rate (0-1, exclusive of 0). */
export function parseBudget(body: unknown): SettingsChange {
  const b = asObject(body)
  onlyKeys(b, ['monthly_budget_micros', 'budget_alert_rate'])
  const change: SettingsChange = {}
  const micros = b.monthly_budget_micros
  if (micros === undefined)
    throw fail(
      'monthly_budget_micros',
      'monthly_budget_micros is required (integer microdollars, 0 for none)',
    )
  if (typeof micros !== 'number' || !Number.isInteger(micros) || micros < 0 || micros > MAX_MICROS)
    throw fail(
      'monthly_budget_micros',
      `monthly_budget_micros must be an integer >= 0 (got ${JSON.stringify(micros)?.slice(0, 40)})`,
    )
  change.monthly_budget_micros = micros
  const r = b.budget_alert_rate
  if (r !== undefined) {
    if (typeof r !== 'number' || !(r > 0 && r <= 1))
      throw fail(
        'budget_alert_rate',
        `budget_alert_rate must be a fraction above 0 and at most 1 (got ${JSON.stringify(r)?.slice(0, 40)})`,
      )
    change.budget_alert_rate = r
  }
  return change
}

export interface ScoreBody {
  name: string
  value: number
  source: 'api' | 'user' | 'auto'
  comment: string | null
}

const SCORE_NAME = /^[\p{L}\p{N}_-]{1,64}$/u
export const MAX_COMMENT_BYTES = 500
const bytes = (s: string) => new TextEncoder().encode(s).length

function comment(v: unknown): string | null {
  if (v === undefined || v === null) return null
  if (typeof v !== 'string') throw fail('comment', 'comment must be a string')
  if (bytes(v) > MAX_COMMENT_BYTES)
    throw fail('comment', `comment must be at most ${MAX_COMMENT_BYTES} bytes`)
  return v
}

export function parseScore(body: unknown): ScoreBody {
  const b = asObject(body)
  onlyKeys(b, ['name', 'value', 'source', 'comment'])
  const name = b.name
  if (typeof name !== 'string' || name.length < 1 || [...name].length > 64)
    throw fail('name', 'name must be 1-64 characters')
  if (!SCORE_NAME.test(name)) throw fail('name', 'name must be alphanumeric, underscore, or hyphen')
  const value = b.value
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1)
    throw fail('value', 'value must be between 0.0 and 1.0')
  const source = b.source ?? 'api'
  if (source !== 'api' && source !== 'user' && source !== 'auto')
    throw fail('source', 'source must be api, user, or auto')
  return { name, value, source, comment: comment(b.comment) }
}

export interface FeedbackBody {
  value: 1 | -1
  user_id: string
  comment: string | null
}

export function parseFeedback(body: unknown): FeedbackBody {
  const b = asObject(body)
  onlyKeys(b, ['value', 'user_id', 'comment'])
  const value = b.value
  if (value !== 1 && value !== -1) throw fail('value', 'value must be 1 (positive) or -1 (negative)')
  const user = b.user_id ?? 'anonymous'
  if (typeof user !== 'string' || user.length < 1 || user.length > 128)
    throw fail('user_id', 'user_id must be 1-128 characters')
  return { value, user_id: user, comment: comment(b.comment) }
}
