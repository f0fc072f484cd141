/**
 * Numbered plain-SQL migrations, embedded in the executable as text. A released migration
 * is never edited; a change is a new file appended here.
 */
import m001 from './001_core.sql' with { type: 'text' }
import m002 from './002_accounts.sql' with { type: 'text' }
import m003 from './003_alerts.sql' with { type: 'text' }
import m004 from './004_retention_sourcemaps.sql' with { type: 'text' }
import m005 from './005_sentry.sql' with { type: 'text' }
import m006 from './006_sample_slots.sql' with { type: 'text' }
import m007 from './007_delivery_issue_title.sql' with { type: 'text' }
import m008 from './008_invite_role.sql' with { type: 'text' }

export interface Migration {
  id: number
  name: string
  sql: string
}

export const MIGRATIONS: Migration[] = [
  { id: 1, name: '001_core', sql: m001 },
  { id: 2, name: '002_accounts', sql: m002 },
  { id: 3, name: '003_alerts', sql: m003 },
  { id: 4, name: '004_retention_sourcemaps', sql: m004 },
  { id: 5, name: '005_sentry', sql: m005 },
  { id: 6, name: '006_sample_slots', sql: m006 },
  { id: 7, name: '007_delivery_issue_title', sql: m007 },
  { id: 8, name: '008_invite_role', sql: m008 },
]
