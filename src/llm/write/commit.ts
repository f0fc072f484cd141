/** Placeholder until the commit lands (next commit): the skeleton fixes the task's shape. */
import type { Db } from '../../storage/db'
import type { CommitItem, CommitResult } from '../model'

export function commitItems(_db: Db, _items: CommitItem[]): CommitResult {
  throw new Error('llm.commit is not built yet')
}
