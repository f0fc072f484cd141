-- Released as part of 004_retention_sourcemaps; never edit (a change is a new migration). All times are epoch milliseconds.

-- The global retention windows (one row). Seeded from [retention] in the config on start;
-- while set_by is NULL the config keeps it current, once an admin saves values through
-- the API (set_by = the admin) the stored values win over the config.
CREATE TABLE retention_settings (
  id                 INTEGER PRIMARY KEY CHECK (id = 1),
  raw_events_days    INTEGER NOT NULL CHECK (raw_events_days BETWEEN 1 AND 3650),
  hourly_counts_days INTEGER NOT NULL CHECK (hourly_counts_days BETWEEN 1 AND 3650),
  set_by             TEXT,
  updated_at         INTEGER NOT NULL
);

-- Per-project raw-event windows; they win over the global setting for their project.
CREATE TABLE project_retention (
  project_id      TEXT PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
  raw_events_days INTEGER NOT NULL CHECK (raw_events_days BETWEEN 1 AND 3650),
  set_by          TEXT,
  updated_at      INTEGER NOT NULL
) WITHOUT ROWID;
