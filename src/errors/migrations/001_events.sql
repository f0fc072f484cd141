-- Released as part of 001_core; never edit (a change is a new migration). All times are epoch milliseconds.
-- Raw events and the aggregates the query API reads.

-- Every accepted event, pruned by retention on received_at.
CREATE TABLE raw_events (
  id                 INTEGER PRIMARY KEY,
  project_id         TEXT NOT NULL,
  fingerprint        TEXT NOT NULL,
  timestamp          INTEGER NOT NULL,
  received_at        INTEGER NOT NULL,
  source             TEXT NOT NULL,
  environment        TEXT NOT NULL,
  release            TEXT NOT NULL,
  app_version        TEXT,
  build_number       TEXT,
  route_or_procedure TEXT,
  screen             TEXT,
  error_type         TEXT NOT NULL,
  message            TEXT NOT NULL,
  stack              TEXT,
  http_status        INTEGER,
  request_id         TEXT,
  user_id_hash       TEXT,
  device_id_hash     TEXT,
  metadata           TEXT,
  event_id           TEXT,
  level              TEXT
);
CREATE INDEX raw_events_issue ON raw_events(project_id, fingerprint, id);
CREATE INDEX raw_events_received ON raw_events(received_at);
-- Sentry SDKs resend with the same event_id; the second copy is ignored.
CREATE UNIQUE INDEX raw_events_event_id ON raw_events(project_id, event_id) WHERE event_id IS NOT NULL;

-- One row per issue (project, fingerprint): what the list reads. Descriptive columns keep
-- the first event's values; status is per issue.
CREATE TABLE issues (
  project_id         TEXT NOT NULL,
  fingerprint        TEXT NOT NULL,
  error_type         TEXT NOT NULL,
  message            TEXT NOT NULL,
  source             TEXT NOT NULL,
  route_or_procedure TEXT,
  screen             TEXT,
  status             TEXT NOT NULL DEFAULT 'unresolved'
                     CHECK (status IN ('unresolved', 'resolved', 'ignored', 'muted')),
  total_count        INTEGER NOT NULL,
  first_seen         INTEGER NOT NULL,
  last_seen          INTEGER NOT NULL,
  last_release       TEXT NOT NULL,
  last_environment   TEXT NOT NULL,
  PRIMARY KEY (project_id, fingerprint)
) WITHOUT ROWID;
CREATE INDEX issues_by_last_seen ON issues(project_id, status, last_seen DESC);
CREATE INDEX issues_by_count ON issues(project_id, status, total_count DESC);
CREATE INDEX issues_by_first_seen ON issues(project_id, status, first_seen DESC);

-- The per (release, environment) breakdown of an issue.
CREATE TABLE error_aggregates (
  project_id  TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  release     TEXT NOT NULL,
  environment TEXT NOT NULL,
  total_count INTEGER NOT NULL,
  first_seen  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  PRIMARY KEY (project_id, fingerprint, release, environment)
) WITHOUT ROWID;
CREATE INDEX error_aggregates_release ON error_aggregates(project_id, release, environment);
CREATE INDEX error_aggregates_environment ON error_aggregates(project_id, environment);

CREATE TABLE event_counts_hourly (
  project_id  TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  hour_bucket INTEGER NOT NULL,
  environment TEXT NOT NULL,
  source      TEXT NOT NULL,
  release     TEXT NOT NULL,
  count       INTEGER NOT NULL,
  PRIMARY KEY (project_id, fingerprint, hour_bucket, environment, source, release)
) WITHOUT ROWID;
CREATE INDEX event_counts_hourly_project ON event_counts_hourly(project_id, hour_bucket);
CREATE INDEX event_counts_hourly_bucket ON event_counts_hourly(hour_bucket);

-- The newest N events of each issue, kept after raw events are pruned.
CREATE TABLE samples (
  id                 INTEGER PRIMARY KEY,
  project_id         TEXT NOT NULL,
  fingerprint        TEXT NOT NULL,
  raw_event_id       INTEGER NOT NULL,
  timestamp          INTEGER NOT NULL,
  captured_at        INTEGER NOT NULL,
  source             TEXT NOT NULL,
  environment        TEXT NOT NULL,
  release            TEXT NOT NULL,
  app_version        TEXT,
  build_number       TEXT,
  route_or_procedure TEXT,
  screen             TEXT,
  error_type         TEXT NOT NULL,
  message            TEXT NOT NULL,
  stack              TEXT,
  http_status        INTEGER,
  request_id         TEXT,
  user_id_hash       TEXT,
  device_id_hash     TEXT,
  metadata           TEXT,
  event_id           TEXT,
  level              TEXT
);
CREATE INDEX samples_issue ON samples(project_id, fingerprint, id DESC);

CREATE TABLE status_changes (
  id          INTEGER PRIMARY KEY,
  project_id  TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  old_status  TEXT NOT NULL,
  new_status  TEXT NOT NULL,
  changed_by  TEXT NOT NULL,
  changed_at  INTEGER NOT NULL
);
CREATE INDEX status_changes_issue ON status_changes(project_id, fingerprint, id DESC);
