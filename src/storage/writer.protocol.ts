/**
 * The messages between the writer handle (writer.ts, main thread) and the writer loop
 * (writer.loop.ts, writer thread). Arguments and results cross as JSON text: a flat
 * string copies several times faster than the structured clone of hundreds of event
 * objects (`npm run bench -- commit`).
 */

export type ToWriter =
  | { type: 'init'; dbPath: string; busyTimeoutMs: number }
  /** `args` is the JSON text of the task's arguments. */
  | { type: 'task'; id: number; name: string; args: string }
  /** Finish queued tasks, checkpoint, close the connection. */
  | { type: 'close'; id: number }

/** What a failed task reports: enough to rebuild the error as the cause on the main side. */
export interface FailedTask {
  message: string
  name: string
  /** SQLite's error code (SQLITE_BUSY, SQLITE_FULL, ...) when there was one. */
  code?: string
}

export type FromWriter =
  | { type: 'ready' }
  | { type: 'fatal'; error: string }
  /** `result` is the JSON text of the task's result (absent for undefined). */
  | { type: 'result'; id: number; ok: true; result?: string }
  | { type: 'result'; id: number; ok: false; error: FailedTask }
