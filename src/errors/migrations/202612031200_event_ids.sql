-- The errors commit claims each Sentry event_id in raw_event_ids (storage's migration
-- 202612021755_raw_event_ids) on both backends, one statement of the dedupe for both;
-- the unique index on raw_events that did it on SQLite alone is no longer read or needed.
-- The ids stored before this migration are claimed here, each with its first receive time.
INSERT OR IGNORE INTO raw_event_ids (project_id, event_id, received_at)
  SELECT project_id, event_id, min(received_at) FROM raw_events
  WHERE event_id IS NOT NULL GROUP BY project_id, event_id;
DROP INDEX raw_events_event_id;
