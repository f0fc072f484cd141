-- PostgreSQL twin of 202612021422_triage_data.sql; never edit (a change is a new migration).
-- Breadcrumbs, users affected and tags (docs/decisions.md, "Breadcrumbs", "Users affected",
-- "Tags").

-- The crumbs of each event as compact JSON (errors/breadcrumbs.ts), oldest first.
ALTER TABLE raw_events ADD COLUMN breadcrumbs TEXT;
ALTER TABLE samples ADD COLUMN breadcrumbs TEXT;

-- The estimate of the issue's distinct users (errors/users.ts). No index: it changes with
-- nearly every commit, and sorting a project's issues by it is a sort of their rows.
ALTER TABLE issues ADD COLUMN users_count BIGINT NOT NULL DEFAULT 0;
-- `user:<hash>` in the search finds the issues of one user among the raw events it keeps.
CREATE INDEX raw_events_user ON raw_events(project_id, user_id_hash) WHERE user_id_hash IS NOT NULL;

-- Distinct-user sketches (errors/sketch.ts) of each issue: scope 't' its total,
-- 'r:<release>' one release, 'h:<hours since epoch, 8 digits>' one hour.
CREATE TABLE issue_user_sketches (
  project_id  TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  scope       TEXT NOT NULL,
  sketch      BYTEA NOT NULL,
  users       BIGINT NOT NULL,
  PRIMARY KEY (project_id, fingerprint, scope)
);

-- Per issue, the events that carried each value of each tag (errors/tags.ts).
CREATE TABLE issue_tags (
  project_id  TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  key         TEXT NOT NULL,
  value       TEXT NOT NULL,
  count       BIGINT NOT NULL,
  last_seen   BIGINT NOT NULL,
  PRIMARY KEY (project_id, fingerprint, key, value)
);
-- `key:value` in the search: the issues carrying one value.
CREATE INDEX issue_tags_value ON issue_tags(project_id, key, value);
