-- PostgreSQL twin of 202612031200_event_ids.sql: the commit claims event ids in
-- raw_event_ids here too, so raw_events' (non-unique) event_id index goes as on SQLite.
INSERT INTO raw_event_ids (project_id, event_id, received_at)
  SELECT project_id, event_id, min(received_at) FROM raw_events
  WHERE event_id IS NOT NULL GROUP BY project_id, event_id
  ON CONFLICT (project_id, event_id) DO NOTHING;
DROP INDEX raw_events_event_id;
