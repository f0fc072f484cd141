-- Triage: merge, assignment, comments, resolve in next release, the tracker link
-- (docs/decisions.md, "Triage"). All times are epoch milliseconds.

-- A merged issue keeps its own row (its own totals, for unmerge) and points at its target;
-- lists show only issues whose merged_into is null.
ALTER TABLE issues ADD COLUMN merged_into TEXT;
-- The assignee: a user id, and the username as it was when assigned (for alert payloads).
ALTER TABLE issues ADD COLUMN assignee_id TEXT;
ALTER TABLE issues ADD COLUMN assignee_name TEXT;
-- Resolved "in the next release": the release current at resolution and its first sighting
-- in the project; an event from a release first seen later reopens the issue.
ALTER TABLE issues ADD COLUMN resolved_in_release TEXT;
ALTER TABLE issues ADD COLUMN resolved_release_seen INTEGER;
CREATE INDEX issues_by_assignee ON issues(project_id, assignee_id) WHERE assignee_id IS NOT NULL;

-- One row per merged fingerprint: where its events go, and what unmerge restores.
CREATE TABLE issue_merges (
  project_id   TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,
  target       TEXT NOT NULL,
  old_status   TEXT NOT NULL,
  merged_by    TEXT NOT NULL,
  merged_at    INTEGER NOT NULL,
  PRIMARY KEY (project_id, fingerprint)
) WITHOUT ROWID;
CREATE INDEX issue_merges_target ON issue_merges(project_id, target);

CREATE TABLE issue_comments (
  id          INTEGER PRIMARY KEY,
  project_id  TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  author_id   TEXT NOT NULL,
  author      TEXT NOT NULL,
  body        TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX issue_comments_issue ON issue_comments(project_id, fingerprint, id);

-- Everything but status changes (those stay in status_changes): assignment, comments,
-- merges, resolve in next release. `detail` is JSON.
CREATE TABLE issue_activity (
  id          INTEGER PRIMARY KEY,
  project_id  TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  kind        TEXT NOT NULL,
  actor       TEXT NOT NULL,
  at          INTEGER NOT NULL,
  detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX issue_activity_issue ON issue_activity(project_id, fingerprint, id);

-- Per-project settings of the errors feature: the external tracker's URL template.
CREATE TABLE error_settings (
  project_id       TEXT PRIMARY KEY,
  tracker_template TEXT,
  updated_at       INTEGER NOT NULL
);
