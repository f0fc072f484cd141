-- Who hit which issue, for the `user:` search (docs/decisions.md, "Users affected"). The
-- fold writes one row per (issue, user) it has not seen, instead of the commit adding an
-- index entry for every raw event with a user: a user who hits an issue again writes
-- nothing, and the rows it does write go in once a second, sorted, not once a commit.
-- Never edit once merged: a change is a new migration.
CREATE TABLE issue_users (
  project_id   TEXT NOT NULL,
  user_id_hash TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,
  PRIMARY KEY (project_id, user_id_hash, fingerprint)
) WITHOUT ROWID;
-- The users of events stored before this migration (the fold adds the rest, once each).
INSERT OR IGNORE INTO issue_users (project_id, user_id_hash, fingerprint)
  SELECT DISTINCT project_id, user_id_hash, fingerprint FROM raw_events WHERE user_id_hash IS NOT NULL;
DROP INDEX raw_events_user;
