/** Display of the LLM API's units: microdollars, milliseconds, rates, token counts. Pure. */
import { count } from '../../lib/format'

/** "$0.0123", "$12.40", "—" for unknown (null is unknown, never zero). */
export function money(micros: number | null | undefined): string {
  if (micros === null || micros === undefined) return '—'
  const d = micros / 1_000_000
  if (d === 0) return '$0'
  return `$${d < 1 ? d.toPrecision(3) : d.toFixed(2)}`
}

export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—'
  return v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(2)} s`
}

export function pct(r: number | null | undefined): string {
  return r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)}%`
}

export function tokens(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : count(n)
}

/** The change of `now` against `before` in percent, or null when there is nothing to compare. */
export function change(now: number | null, before: number | null): number | null {
  if (now === null || before === null || before === 0) return null
  return ((now - before) / before) * 100
}
