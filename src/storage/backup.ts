/**
 * Online backup of the SQLite database: `backupDatabase(source, target)`.
 *
 * - Consistent: the copy is SQLite's `VACUUM INTO`, one read transaction, so it holds
 *   exactly the transactions committed before it started (every event acknowledged by
 *   then) and none of the later ones. It is compacted (no free pages) and keeps the
 *   settings of the source (auto_vacuum, page size).
 * - Online: it reads through a read-only connection in WAL mode, so the server's writer
 *   keeps committing while it runs; nothing stops.
 * - Private: written with mode 0600 from the first byte (the database holds project keys).
 * - All or nothing: written to `<target>.partial-<pid>` beside the target, checked with
 *   `PRAGMA quick_check`, synced, then moved into place; a failure removes the partial
 *   file. An existing target is replaced only with `force` (otherwise refused before any
 *   work, and again at the end, atomically, if one appeared meanwhile).
 *
 * The DuckDB analytics copy is not part of it: the server rebuilds that from SQLite.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  openSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
} from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { fsProblem, StartupError } from '../ops/problems'

// In the compiled executable, workers are addressed relative to src/ (see src/writer.ts).
const WORKER_URL = import.meta.url.includes('$bunfs')
  ? './storage/backup.worker.ts'
  : new URL('./backup.worker.ts', import.meta.url).href

export class BackupRefused extends Error {
  override name = 'BackupRefused'
}

export interface BackupProgress {
  written: number
  /** The live pages of the source: what the copy will be, roughly. */
  estimate: number
}

export interface BackupResult {
  target: string
  bytes: number
  events: number
  ms: number
}

export interface BackupOptions {
  force?: boolean
  onProgress?: (p: BackupProgress) => void
  /** How often progress is sampled (ms). */
  intervalMs?: number
}

const real = (p: string) => (existsSync(p) ? realpathSync(p) : resolve(p))

export async function backupDatabase(
  source: string,
  target: string,
  opts: BackupOptions = {},
): Promise<BackupResult> {
  const started = performance.now()
  const src = real(source)
  const dest = resolve(target)
  if ([src, `${src}-wal`, `${src}-shm`].includes(real(dest))) {
    throw new BackupRefused(`${dest} is the live database itself; choose another file`)
  }
  if (existsSync(dest)) {
    if (!opts.force) throw new BackupRefused(`${dest} already exists; pass --force to replace it`)
    if (statSync(dest).isDirectory()) throw new BackupRefused(`${dest} is a directory; name a file`)
  }
  const partial = resolve(dirname(dest), `.${basename(dest)}.partial-${process.pid}`)
  try {
    // VACUUM INTO accepts an empty file; creating it here fixes its mode before any data.
    closeSync(openSync(partial, 'wx', 0o600))
  } catch (err) {
    throw (
      fsProblem(err, 'cannot create the backup file in', dirname(dest), 'choose a directory you can write') ??
      err
    )
  }
  try {
    const { events } = await runWorker(src, partial, opts)
    const fd = openSync(partial, 'r+')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    if (opts.force) renameSync(partial, dest)
    else {
      // link() refuses an existing name atomically: a file that appeared meanwhile is kept.
      try {
        linkSync(partial, dest)
      } catch (err) {
        if ((err as { code?: string }).code === 'EEXIST')
          throw new BackupRefused(`${dest} appeared during the backup; pass --force to replace it`)
        throw err
      }
      unlinkSync(partial)
    }
    syncDir(dirname(dest))
    return { target: dest, bytes: statSync(dest).size, events, ms: Math.round(performance.now() - started) }
  } finally {
    if (existsSync(partial)) unlinkSync(partial)
  }
}

function runWorker(source: string, target: string, opts: BackupOptions): Promise<{ events: number }> {
  const worker = new Worker(WORKER_URL)
  let estimate = 0
  const sample = () => {
    if (!opts.onProgress || estimate === 0) return
    try {
      opts.onProgress({ written: statSync(target).size, estimate })
    } catch {}
  }
  const timer = setInterval(sample, opts.intervalMs ?? 250)
  return new Promise<{ events: number }>((resolveDone, reject) => {
    worker.onmessage = (ev: MessageEvent) => {
      const m = ev.data
      if (m.type === 'start') {
        estimate = m.estimate
        return
      }
      if (m.type === 'done') {
        if (m.check !== 'ok')
          return reject(new StartupError(`the backup failed its integrity check: ${m.check}`))
        sample()
        return resolveDone({ events: m.events })
      }
      if (m.type === 'failed') {
        const code = String(m.code ?? '')
        if (code.startsWith('SQLITE_FULL'))
          return reject(new StartupError(`cannot write the backup ${target}: the disk is full`))
        return reject(new Error(`backup failed: ${m.error}${code ? ` (${code})` : ''}`))
      }
    }
    worker.onerror = (ev) => reject(new Error(`backup thread failed: ${ev.message}`))
    worker.postMessage({ source, target })
  }).finally(() => {
    clearInterval(timer)
    worker.terminate()
  })
}

/** Makes the rename durable: the directory entry is data too. */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  } catch {
    // Some file systems refuse fsync on a directory; the file itself is synced.
  }
}
