-- PostgreSQL twin of 004_retention.sql (part of migration 004_retention_sourcemaps); never edit (a change is a new migration).

CREATE TABLE retention_settings (
  id                 BIGINT PRIMARY KEY CHECK (id = 1),
  raw_events_days    BIGINT NOT NULL CHECK (raw_events_days BETWEEN 1 AND 3650),
  hourly_counts_days BIGINT NOT NULL CHECK (hourly_counts_days BETWEEN 1 AND 3650),
  set_by             TEXT,
  updated_at         BIGINT NOT NULL
);

CREATE TABLE project_retention (
  project_id      TEXT PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
  raw_events_days BIGINT NOT NULL CHECK (raw_events_days BETWEEN 1 AND 3650),
  set_by          TEXT,
  updated_at      BIGINT NOT NULL
);
