-- Released as 003_alerts; never edit (a change is a new migration). All times are epoch milliseconds.

-- Alerting (issue 4): rules, their channels, stored cooldowns and the delivery log.
-- All times are epoch milliseconds. No index is added to raw_events: threshold and spike
-- windows are counted in memory (see src/alerts/engine.ts for the measurements).

CREATE TABLE alert_rules (
  id                 INTEGER PRIMARY KEY,
  project_id         TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name               TEXT NOT NULL,
  description        TEXT,
  rule_type          TEXT NOT NULL CHECK (rule_type IN ('new_issue', 'threshold', 'spike')),
  -- The type's options as JSON, validated by src/alerts/model.ts before every write.
  config             TEXT NOT NULL,
  environment_filter TEXT,
  source_filter      TEXT,
  enabled            INTEGER NOT NULL DEFAULT 1,
  created_by         TEXT,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
);
CREATE INDEX alert_rules_project ON alert_rules(project_id, id);

-- Slack and webhook URLs and webhook secrets are credentials the server must use, so they
-- are stored as given (like project ingest keys) and never returned whole by the API.
CREATE TABLE alert_channels (
  id           INTEGER PRIMARY KEY,
  rule_id      INTEGER NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
  channel_type TEXT NOT NULL CHECK (channel_type IN ('slack', 'webhook', 'email')),
  config       TEXT NOT NULL,
  created_at   INTEGER NOT NULL
);
CREATE INDEX alert_channels_rule ON alert_channels(rule_id, id);

-- When a rule last fired for a key: the fingerprint, or '*' for rules counted over the
-- whole project. Stored so that a restart neither re-fires nor forgets.
CREATE TABLE alert_cooldowns (
  rule_id       INTEGER NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
  key           TEXT NOT NULL,
  last_fired_at INTEGER NOT NULL,
  PRIMARY KEY (rule_id, key)
) WITHOUT ROWID;

-- One row per (alert, channel) once its delivery has finished, successfully or not.
-- channel_id has no foreign key so the log outlives a deleted channel; NULL means a global
-- fallback (BLOOP_SLACK_WEBHOOK_URL / BLOOP_WEBHOOK_URL).
CREATE TABLE alert_deliveries (
  id           INTEGER PRIMARY KEY,
  rule_id      INTEGER NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
  alert_id     TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('alert', 'test')),
  reason       TEXT NOT NULL,
  fingerprint  TEXT,
  channel_id   INTEGER,
  channel_type TEXT NOT NULL,
  target       TEXT NOT NULL,
  outcome      TEXT NOT NULL CHECK (outcome IN ('delivered', 'failed', 'refused')),
  attempts     INTEGER NOT NULL,
  -- HTTP status, or the SMTP reply code.
  status_code  INTEGER,
  -- The SMTP reply line, or the start of the HTTP response body.
  response     TEXT,
  error        TEXT,
  fired_at     INTEGER NOT NULL,
  finished_at  INTEGER NOT NULL
);
CREATE INDEX alert_deliveries_rule ON alert_deliveries(rule_id, id DESC);
