-- Retention settings and uploaded source maps. All times are epoch milliseconds.

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

-- One source map per (project, release, filename); a re-upload replaces the row in place
-- (same id). `data` is the gzip-compressed map text; `size_bytes` its uncompressed size.
-- `map_file` is the map's own "file" field, a second name to match stack frames by.
CREATE TABLE sourcemaps (
  id           INTEGER PRIMARY KEY,
  project_id   TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  release      TEXT NOT NULL,
  filename     TEXT NOT NULL,
  map_file     TEXT,
  size_bytes   INTEGER NOT NULL,
  stored_bytes INTEGER NOT NULL,
  sha256       TEXT NOT NULL,
  data         BLOB NOT NULL,
  uploaded_at  INTEGER NOT NULL,
  uploaded_by  TEXT,
  UNIQUE (project_id, release, filename)
);
CREATE INDEX sourcemaps_by_upload ON sourcemaps(project_id, uploaded_at DESC, id DESC);
