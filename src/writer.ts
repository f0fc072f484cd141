/**
 * The writer as the server and the CLI open it, typed by the registry of every feature's
 * tasks (writer.tasks.ts): on SQLite storage's handle on the writer thread, whose entry
 * (writer.worker.ts) serves that registry; on PostgreSQL the seam writer over the
 * backend, serving the same registry on the main thread (storage/writer.backend.ts).
 */
import type { PruneArgs, PruneStep, SweeperWriter } from './retention'
import type { Backend } from './storage/backend'
import type { WriterHandle } from './storage/tasks'
import { Writer, type WriterOptions } from './storage/writer'
import { SeamWriter } from './storage/writer.backend'
import { WRITER_TASKS, type WriterTasks } from './writer.tasks'

// In the compiled executable every module is bundled into the entry file at the root of
// the embedded file system, and build.ts embeds the worker entry beside it: it is
// addressed relative to src/ (main.ts's folder).
const WORKER_URL = import.meta.url.includes('$bunfs')
  ? './writer.worker.ts'
  : new URL('./writer.worker.ts', import.meta.url).href

export type ServerWriter = WriterHandle<WriterTasks>

/** The writer thread over the SQLite file. */
export function openWriter(o: Omit<WriterOptions, 'workerUrl'>): Writer<WriterTasks> {
  return new Writer<WriterTasks>({ ...o, workerUrl: WORKER_URL })
}

/** The writer over a backend of the seam (PostgreSQL's): the registry's seam tasks only. */
export function openSeamWriter(backend: Backend): SeamWriter<WriterTasks> {
  return new SeamWriter(backend, WRITER_TASKS)
}

/**
 * The writer as the retention sweeper sees it. Hooks name their tasks as strings; every
 * name is checked against this registry by test/unit/writer.registry.test.ts and each
 * task's shape by `satisfies PruneTask` where it is declared.
 */
export function sweeperWriter(w: ServerWriter): SweeperWriter {
  return {
    prune: (task, args: PruneArgs) =>
      w.run(task as keyof WriterTasks, args as never) as unknown as Promise<PruneStep>,
    vacuum: (a) => w.run('storage.vacuum', a),
  }
}
