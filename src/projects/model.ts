/** Bodies and response shapes of /v1/projects. */
import { Type as T } from '@sinclair/typebox'
import type { ProjectRow } from './store'

export const SLUG_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$'
export const NAME_MAX = 100

export const CreateProjectBody = T.Object(
  {
    name: T.String({ maxLength: 1000 }),
    slug: T.String({ maxLength: 1000 }),
  },
  { additionalProperties: false },
)

export const UpdateProjectBody = T.Object(
  { name: T.String({ maxLength: 1000 }) },
  { additionalProperties: false },
)

/**
 * A project as every list and detail response shows it. The ingest key is deliberately
 * absent: it appears only in `projectWithKey` (create, rotate-key, and the admin-only
 * GET /v1/projects/:slug/key used by the dashboard's setup guide).
 */
export function projectView(row: ProjectRow) {
  return {
    id: row.id,
    numeric_id: row.numeric_id,
    name: row.name,
    slug: row.slug,
    created_at: row.created_at,
    created_by: row.created_by,
  }
}

export function projectWithKey(row: ProjectRow) {
  return { ...projectView(row), api_key: row.api_key }
}
