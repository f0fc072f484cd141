/** Entry point of the writer thread: the loop of storage/writer.loop.ts over every feature's tasks. */
import { serveWriter } from './storage/writer.loop'
import { WRITER_TASKS } from './writer.tasks'

serveWriter(WRITER_TASKS)
