-- Breadcrumbs, users affected and tags (docs/decisions.md, "Breadcrumbs", "Users affected",
-- "Tags"). Never edit once merged: a change is a new migration.

-- The crumbs of each event as compact JSON (errors/breadcrumbs.ts), oldest first.
ALTER TABLE raw_events ADD COLUMN breadcrumbs TEXT;
ALTER TABLE samples ADD COLUMN breadcrumbs TEXT;

-- The estimate of the issue's distinct users (errors/users.ts). No index: it changes with
-- nearly every commit, and sorting a project's issues by it is a sort of their rows.
ALTER TABLE issues ADD COLUMN users_count INTEGER NOT NULL DEFAULT 0;
-- `user:<hash>` in the search finds the issues of one user among the raw events it keeps.
CREATE INDEX raw_events_user ON raw_events(project_id, user_id_hash) WHERE user_id_hash IS NOT NULL;

-- Distinct-user sketches (errors/sketch.ts) of each issue: scope 't' its total,
-- 'r:<release>' one release, 'h:<hours since epoch, 8 digits>' one hour. One table, so a
-- commit reads and writes an issue's sketches in one statement each; retention deletes an
-- issue's old hours by key range, so no other index is kept.
CREATE TABLE issue_user_sketches (
  project_id  TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  scope       TEXT NOT NULL,
  sketch      BLOB NOT NULL,
  users       INTEGER NOT NULL,
  PRIMARY KEY (project_id, fingerprint, scope)
) WITHOUT ROWID;

-- Per issue, the events that carried each value of each tag (errors/tags.ts).
CREATE TABLE issue_tags (
  project_id  TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  key         TEXT NOT NULL,
  value       TEXT NOT NULL,
  count       INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  PRIMARY KEY (project_id, fingerprint, key, value)
) WITHOUT ROWID;
-- `key:value` in the search: the issues carrying one value.
CREATE INDEX issue_tags_value ON issue_tags(project_id, key, value);
