-- Released as part of 004_retention_sourcemaps; never edit (a change is a new migration). All times are epoch milliseconds.

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
