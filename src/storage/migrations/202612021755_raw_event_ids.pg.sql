-- PostgreSQL twin of 202612021755_raw_event_ids.sql: the Sentry event_id dedupe key table,
-- since the partitioned raw_events cannot hold a unique (project_id, event_id) index. A
-- plain table (not partitioned): its primary key must span every receive day.
CREATE TABLE raw_event_ids (
  project_id  TEXT NOT NULL,
  event_id    TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (project_id, event_id)
);
CREATE INDEX raw_event_ids_received ON raw_event_ids(received_at);
