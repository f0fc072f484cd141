/**
 * The writer thread as the server and the CLI open it: storage's generic handle on the
 * worker entry that serves every feature's tasks (writer.worker.ts), typed by their
 * registry (writer.tasks.ts).
 */
import type { PruneArgs, PruneStep, SweeperWriter } from './retention'
import { Writer, type WriterOptions } from './storage/writer'
import type { WriterTasks } from './writer.tasks'

// In the compiled executable every module is bundled into the entry file at the root of
// the embedded file system, and build.ts embeds the worker entry beside it: it is
// addressed relative to src/ (main.ts's folder).
const WORKER_URL = import.meta.url.includes('$bunfs')
  ? './writer.worker.ts'
  : new URL('./writer.worker.ts', import.meta.url).href

export type ServerWriter = Writer<WriterTasks>

export function openWriter(o: Omit<WriterOptions, 'workerUrl'>): ServerWriter {
  return new Writer<WriterTasks>({ ...o, workerUrl: WORKER_URL })
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
