/**
 * GET /metrics scraped and parsed: rate-limited ingest counted as rejected, the HTTP
 * latency histogram by route group and method (with bounded label values), process
 * memory and CPU, database and WAL size, and build info.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import pkg from '../../package.json'
import { FINGERPRINT_VERSION } from '../../src/errors/fingerprint'
import { event, onSqliteOnly, signed, startRuntime, type TestRuntime } from '../helpers'

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** Parses the Prometheus text format: every sample, and the TYPE of every metric. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  for (const line of text.trimEnd().split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (type) {
      types.set(type[1] as string, type[2] as string)
      continue
    }
    if (line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new Error(`expected a sample line, got ${JSON.stringify(line)}`)
    const labels: Record<string, string> = {}
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[k as string] = (v as string).replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c))
    }
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) })
  }
  return { samples, types }
}

const matching = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))

function one(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = matching(samples, name, labels)
  if (found.length !== 1) {
    throw new Error(`expected one ${name} ${JSON.stringify(labels)}, got ${JSON.stringify(found)}`)
  }
  return (found[0] as Sample).value
}

let rt: TestRuntime
const scrape = async () => parse(await (await rt.fetch('/metrics')).text())

beforeAll(async () => {
  // A burst of 3 per address, refilled once a second: the 4th request at once is a 429.
  rt = await startRuntime({ rate_limit: { per_second: 1, burst_size: 3 } })
})
afterAll(() => rt.dispose())

describe('GET /metrics', () => {
  test('counts rate-limited ingest requests as rejected with reason rate_limited', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await rt.handle(signed('/v1/ingest', event()))).status)
    expect(statuses).toEqual([200, 200, 200, 429, 429])
    const { samples } = await scrape()
    expect(one(samples, 'bloop_events_rejected_total', { reason: 'rate_limited' })).toBe(2)
    expect(one(samples, 'bloop_events_accepted_total', { endpoint: 'ingest' })).toBe(3)
  })

  test('has an HTTP latency histogram by route group and method', async () => {
    for (let i = 0; i < 4; i++) await rt.fetch('/health')
    await rt.fetch('/v1/errors')
    const { samples, types } = await scrape()
    const name = 'bloop_http_request_duration_seconds'
    expect(types.get(name)).toBe('histogram')
    // Five ingest POSTs above (429s included), four health checks.
    expect(one(samples, `${name}_count`, { route: '/v1/ingest', method: 'POST' })).toBe(5)
    expect(one(samples, `${name}_count`, { route: '/health', method: 'GET' })).toBe(4)
    expect(one(samples, `${name}_count`, { route: '/v1/errors', method: 'GET' })).toBe(1)
    const buckets = matching(samples, `${name}_bucket`, { route: '/health', method: 'GET' })
    expect(buckets.map((b) => b.labels.le)).toEqual([
      '0.001',
      '0.0025',
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '2.5',
      '5',
      '10',
      '+Inf',
    ])
    // Cumulative: never decreasing, and +Inf is the count.
    const counts = buckets.map((b) => b.value)
    expect(counts).toEqual([...counts].sort((a, b) => a - b))
    expect(counts.at(-1)).toBe(4)
    const sum = one(samples, `${name}_sum`, { route: '/health', method: 'GET' })
    expect(sum).toBeGreaterThan(0)
    expect(sum).toBeLessThan(10)
  })

  test('keeps label values to a closed set, whatever paths and methods clients send', async () => {
    const before = (await scrape()).samples.filter(
      (s) => s.name === 'bloop_http_request_duration_seconds_count',
    )
    await rt.fetch('/wp-admin/setup.php')
    await rt.fetch('/wp-admin/install.php')
    await rt.fetch('/v1/nope/1')
    await rt.fetch('/issues/4801dfe2b0a0c4af?project=default')
    await rt.fetch('/api/1/envelope/', { method: 'POST', body: 'x' })
    await rt.fetch('/health', { method: 'PROPFIND' })
    const { samples } = await scrape()
    const series = samples
      .filter((s) => s.name === 'bloop_http_request_duration_seconds_count')
      .map((s) => `${s.labels.method} ${s.labels.route}`)
    const added = series.filter((k) => !before.some((b) => `${b.labels.method} ${b.labels.route}` === k))
    expect(added.sort()).toEqual(['GET dashboard', 'GET other', 'POST /api', 'other /health'])
    expect(one(samples, 'bloop_http_request_duration_seconds_count', { route: 'other', method: 'GET' })).toBe(
      3,
    )
    // The status counter uses the same groups.
    expect(one(samples, 'bloop_http_requests_total', { route: 'other', status: '404' })).toBe(3)
  })

  test('reports process memory and CPU', async () => {
    const first = await scrape()
    expect(first.types.get('process_resident_memory_bytes')).toBe('gauge')
    expect(first.types.get('process_cpu_seconds_total')).toBe('counter')
    const rss = one(first.samples, 'process_resident_memory_bytes')
    expect(rss).toBeGreaterThan(10 * 1024 * 1024)
    expect(Math.abs(rss - process.memoryUsage.rss())).toBeLessThan(64 * 1024 * 1024)
    const cpu = one(first.samples, 'process_cpu_seconds_total')
    const own = process.cpuUsage()
    expect(cpu).toBeGreaterThan(0)
    expect(cpu).toBeLessThanOrEqual((own.user + own.system) / 1e6)
    // Some work, and the counter moves on.
    let x = 0
    for (let i = 0; i < 2e7; i++) x += i
    expect(x).toBeGreaterThan(0)
    expect(one((await scrape()).samples, 'process_cpu_seconds_total')).toBeGreaterThan(cpu)
  })

  // The sizes of SQLite's database file and its write-ahead log: SQLite's own.
  onSqliteOnly('reports the database and WAL file sizes', async () => {
    const path = join(rt.dir, 'bloop.db')
    const size = (p: string) => (existsSync(p) ? statSync(p).size : 0)
    const db = [size(path)]
    const wal = [size(`${path}-wal`)]
    const { samples, types } = await scrape()
    db.push(size(path))
    wal.push(size(`${path}-wal`))
    expect(types.get('bloop_database_bytes')).toBe('gauge')
    expect(types.get('bloop_wal_bytes')).toBe('gauge')
    const dbBytes = one(samples, 'bloop_database_bytes')
    const walBytes = one(samples, 'bloop_wal_bytes')
    expect(dbBytes).toBeGreaterThanOrEqual(4096) // one page at least; the rest may still be in the WAL
    expect(dbBytes).toBeGreaterThanOrEqual(Math.min(...db))
    expect(dbBytes).toBeLessThanOrEqual(Math.max(...db))
    expect(walBytes).toBeGreaterThan(0)
    expect(walBytes).toBeGreaterThanOrEqual(Math.min(...wal))
    expect(walBytes).toBeLessThanOrEqual(Math.max(...wal))
  })

  test('reports build info with the version', async () => {
    const { samples, types } = await scrape()
    expect(types.get('bloop_build_info')).toBe('gauge')
    expect(matching(samples, 'bloop_build_info')).toEqual([
      {
        name: 'bloop_build_info',
        labels: { version: pkg.version, bun: Bun.version, fingerprint_version: String(FINGERPRINT_VERSION) },
        value: 1,
      },
    ])
  })
})
