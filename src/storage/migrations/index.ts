/**
 * Numbered plain-SQL migrations, embedded in the executable as text. A released migration
 * is never edited; a change is a new file appended here.
 */
import m001 from './001_core.sql' with { type: 'text' }
import m004 from './004_retention_sourcemaps.sql' with { type: 'text' }

export interface Migration {
  id: number
  name: string
  sql: string
}

export const MIGRATIONS: Migration[] = [
  { id: 1, name: '001_core', sql: m001 },
  { id: 4, name: '004_retention_sourcemaps', sql: m004 },
]
