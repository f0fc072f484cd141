/**
 * Main-thread handle on the checkpointer thread (see checkpointer.worker.ts). If the thread
 * fails, nothing is lost: the writer's raised `wal_autocheckpoint` limit still bounds the WAL.
 */
import type { Logger } from '../ops/log'

// In the compiled executable, workers are addressed relative to src/ (see src/writer.ts).
const WORKER_URL = import.meta.url.includes('$bunfs')
  ? './storage/checkpointer.worker.ts'
  : new URL('./checkpointer.worker.ts', import.meta.url).href

/** WAL pages the writer may accumulate before it checkpoints itself (64 MB at 4 KB pages). */
export const WRITER_CHECKPOINT_PAGES = 16384

export class Checkpointer {
  private worker: Worker
  private ready: Promise<void>
  private closing: Promise<void> | null = null

  constructor(dbPath: string, log: Logger, intervalMs = 250) {
    this.worker = new Worker(WORKER_URL)
    this.ready = new Promise((resolve, reject) => {
      this.worker.onmessage = (ev: MessageEvent) => {
        if (ev.data.type === 'ready') resolve()
        if (ev.data.type === 'error') log.warn('WAL checkpoint failed; will retry', { error: ev.data.error })
      }
      this.worker.onerror = (ev) => {
        log.error('checkpointer thread failed; the writer checkpoints by itself', { error: ev.message })
        reject(new Error(ev.message))
      }
    })
    this.ready.catch(() => {})
    this.worker.postMessage({ type: 'init', dbPath, intervalMs })
  }

  whenReady(): Promise<void> {
    return this.ready
  }

  /** A last checkpoint, then the thread ends. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      this.worker.onmessage = (ev: MessageEvent) => {
        if (ev.data.type === 'closed') resolve()
      }
      this.worker.onerror = () => resolve()
    })
    this.worker.postMessage({ type: 'close' })
    await Promise.race([closed, Bun.sleep(5000)])
    this.worker.terminate()
  }
}
