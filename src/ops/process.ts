/**
 * Process and storage figures, read when /metrics is scraped: resident memory and CPU
 * time (the names Prometheus' own client libraries use, so stock dashboards work), the
 * database and WAL file sizes, and build info.
 */
import { statSync } from 'node:fs'
import pkg from '../../package.json'
import type { Registry } from './metrics'

/** Size of a file in bytes; 0 when it does not exist (no WAL between checkpoints and restarts). */
function fileBytes(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

/**
 * `o.build` adds labels to `bloop_build_info` (the fingerprint version, which the errors
 * feature owns: ops imports no feature, so the server passes it in).
 */
export function registerProcessMetrics(
  registry: Registry,
  o: { dbPath: string; build: Record<string, string> },
): void {
  registry.gauge('process_resident_memory_bytes', 'Resident memory of the process in bytes.', () =>
    process.memoryUsage.rss(),
  )
  registry.sampledCounter('process_cpu_seconds_total', 'User and system CPU time of the process.', () => {
    const { user, system } = process.cpuUsage()
    return (user + system) / 1e6
  })
  registry.gauge('bloop_database_bytes', 'Size of the SQLite database file.', () => fileBytes(o.dbPath))
  registry.gauge(
    'bloop_wal_bytes',
    'Size of the SQLite write-ahead log; it stays large after a burst until the next truncating checkpoint.',
    () => fileBytes(`${o.dbPath}-wal`),
  )
  registry.gauge('bloop_build_info', 'Always 1; the labels say what is running.', () => 1, {
    version: pkg.version,
    bun: Bun.version,
    ...o.build,
  })
}

/** The storage backend's pool, labelled with the backend (sqlite has one main connection). */
export function registerStorageMetrics(
  registry: Registry,
  o: { backend: string; pool: () => { max: number; open: number; active: number } },
): void {
  const labels = { backend: o.backend }
  registry.gauge('bloop_db_pool_max', 'Connections the storage backend may open.', () => o.pool().max, labels)
  registry.gauge(
    'bloop_db_pool_open',
    'Connections the storage backend has open.',
    () => o.pool().open,
    labels,
  )
  registry.gauge(
    'bloop_db_pool_active',
    'Transactions running on the main connections now.',
    () => o.pool().active,
    labels,
  )
}
