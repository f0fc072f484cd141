/**
 * The errors feature's per-project settings (`error_settings`): today the external
 * tracker's URL template (tracker.ts). A small administrative write on the main
 * connection, not a writer task (docs/ARCHITECTURE.md, "Invariants"); both run through
 * the storage seam, so on SQLite and PostgreSQL alike.
 */
import type { Queryable } from '../storage/backend'

/** The project's tracker link template, or null when it has none. */
export async function trackerTemplate(b: Queryable, projectId: string): Promise<string | null> {
  const row = await b.get<{ tracker_template: string | null }>(
    'SELECT tracker_template FROM error_settings WHERE project_id = ?',
    [projectId],
  )
  return row?.tracker_template ?? null
}

/** Stores the template (null removes it). */
export async function setTrackerTemplate(
  b: Queryable,
  projectId: string,
  template: string | null,
  now: number,
): Promise<void> {
  await b.run(
    `INSERT INTO error_settings (project_id, tracker_template, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (project_id) DO UPDATE SET tracker_template = excluded.tracker_template, updated_at = excluded.updated_at`,
    [projectId, template, now],
  )
}
