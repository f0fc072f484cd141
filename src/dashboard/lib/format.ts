/** Display helpers: relative and absolute times, counts, sizes. Pure. */

const UNITS: [number, string][] = [
  [60_000, 's'],
  [3_600_000, 'min'],
  [86_400_000, 'h'],
  [30 * 86_400_000, 'd'],
  [365 * 86_400_000, 'mo'],
]

/** "just now", "5 min ago", "3 h ago", "12 d ago", "2 y ago" (future times read "in ..."). */
export function ago(ms: number, now = Date.now()): string {
  const diff = now - ms
  const abs = Math.abs(diff)
  if (abs < 10_000) return 'just now'
  let text = `${Math.floor(abs / (365 * 86_400_000))} y`
  let unit = 1000
  for (const [limit, name] of UNITS) {
    if (abs < limit) {
      text = `${Math.floor(abs / unit)} ${name}`
      break
    }
    unit = limit
  }
  return diff >= 0 ? `${text} ago` : `in ${text}`
}

export function dateTime(ms: number | null): string {
  if (ms === null) return 'never'
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

export function hourLabel(ms: number): string {
  return new Date(ms).toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  })
}

export function count(n: number): string {
  if (n < 1000) return String(n)
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`
  return `${(n / 1_000_000).toFixed(1)}M`
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`
  return `${(n / 1024 ** 3).toFixed(2)} GB`
}

export function signed(n: number, digits = 0): string {
  const text = n.toFixed(digits)
  return n > 0 ? `+${text}` : text
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}
