-- The Sentry event_id dedupe as a key table of its own: one row per (project, event_id)
-- stored, with the receive time of the event it stands for. On PostgreSQL raw_events is
-- partitioned by receive time, so its event_id index cannot be unique (a partitioned
-- table's unique keys must hold the partition key); there an insert into this table with
-- ON CONFLICT DO NOTHING is what tells a resent event from a new one. SQLite keeps its
-- unique index on raw_events as well; the same table here lets the errors commit state
-- its dedupe once for both backends. Rows go with their raw events: by receive time
-- (retention, raw_event_ids_received) and by project (a project's deletion).
CREATE TABLE raw_event_ids (
  project_id  TEXT NOT NULL,
  event_id    TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, event_id)
) WITHOUT ROWID;
CREATE INDEX raw_event_ids_received ON raw_event_ids(received_at);
