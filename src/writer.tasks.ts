/**
 * The writer thread's task registry: storage's own tasks and every feature's, from each
 * feature's tasks.ts (never its index.ts: the writer thread must not load HTTP code).
 * src/writer.worker.ts serves this table; its type is the protocol every `writer.run`
 * on the main side is checked against.
 *
 * Adding a feature with writer tasks: import its tasks.ts here, spread its table, and add
 * its `projectData` to the list below in the order of src/features.ts.
 * test/unit/writer.registry.test.ts checks that this file and src/features.ts agree.
 */
import { errorsProjectData, errorsTasks } from './errors/tasks'
import { llmProjectData, llmTasks } from './llm/tasks'
import { purgeOrder, purgeTasks } from './projects/tasks'
import { storageTasks } from './storage/tasks'

/** Every feature's tables of per-project rows, in removal order (projects/tasks.ts). */
export const WRITER_PROJECT_DATA = purgeOrder([errorsProjectData, llmProjectData])

export const WRITER_TASKS = {
  ...storageTasks,
  ...purgeTasks(WRITER_PROJECT_DATA),
  ...errorsTasks,
  ...llmTasks,
}

export type WriterTasks = typeof WRITER_TASKS
