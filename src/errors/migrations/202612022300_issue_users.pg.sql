-- PostgreSQL twin of 202612022300_issue_users.sql; never edit (a change is a new migration).
-- Who hit which issue, for the `user:` search: one row per (issue, user), written by the
-- fold, instead of an index entry for every raw event with a user.
CREATE TABLE issue_users (
  project_id   TEXT NOT NULL,
  user_id_hash TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,
  PRIMARY KEY (project_id, user_id_hash, fingerprint)
);
-- The users of events stored before this migration (the fold adds the rest, once each).
INSERT INTO issue_users (project_id, user_id_hash, fingerprint)
  SELECT DISTINCT project_id, user_id_hash, fingerprint FROM raw_events WHERE user_id_hash IS NOT NULL
  ON CONFLICT DO NOTHING;
DROP INDEX raw_events_user;
