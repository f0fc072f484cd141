-- LLM alert rules (llm_cost_spike, llm_error_rate, llm_latency, llm_budget) live in
-- alert_rules with the other rules, so they use the same channels, cooldowns, delivery log
-- and test endpoint. The rule_type CHECK is widened; SQLite cannot alter a CHECK, so the
-- table is rebuilt. Its children (channels, cooldowns, deliveries) are rebuilt first to
-- point at the new table: dropping the old parent while they referenced it would cascade
-- their rows away (foreign keys stay on inside a migration's transaction). Renaming the
-- new parent last rewrites the children's references back to `alert_rules`.

CREATE TABLE alert_rules_v2 (
  id                 INTEGER PRIMARY KEY,
  project_id         TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name               TEXT NOT NULL,
  description        TEXT,
  rule_type          TEXT NOT NULL CHECK (rule_type IN ('new_issue', 'threshold', 'spike',
                       'llm_cost_spike', 'llm_error_rate', 'llm_latency', 'llm_budget')),
  -- The type's options as JSON, validated by src/alerts/model.ts before every write.
  config             TEXT NOT NULL,
  environment_filter TEXT,
  source_filter      TEXT,
  enabled            INTEGER NOT NULL DEFAULT 1,
  created_by         TEXT,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
);
INSERT INTO alert_rules_v2 (id, project_id, name, description, rule_type, config, environment_filter,
  source_filter, enabled, created_by, created_at, updated_at)
SELECT id, project_id, name, description, rule_type, config, environment_filter, source_filter, enabled,
  created_by, created_at, updated_at FROM alert_rules;

CREATE TABLE alert_channels_v2 (
  id           INTEGER PRIMARY KEY,
  rule_id      INTEGER NOT NULL REFERENCES alert_rules_v2(id) ON DELETE CASCADE,
  channel_type TEXT NOT NULL CHECK (channel_type IN ('slack', 'webhook', 'email')),
  config       TEXT NOT NULL,
  created_at   INTEGER NOT NULL
);
INSERT INTO alert_channels_v2 (id, rule_id, channel_type, config, created_at)
SELECT id, rule_id, channel_type, config, created_at FROM alert_channels;
DROP TABLE alert_channels;
ALTER TABLE alert_channels_v2 RENAME TO alert_channels;
CREATE INDEX alert_channels_rule ON alert_channels(rule_id, id);

CREATE TABLE alert_cooldowns_v2 (
  rule_id       INTEGER NOT NULL REFERENCES alert_rules_v2(id) ON DELETE CASCADE,
  key           TEXT NOT NULL,
  last_fired_at INTEGER NOT NULL,
  PRIMARY KEY (rule_id, key)
) WITHOUT ROWID;
INSERT INTO alert_cooldowns_v2 (rule_id, key, last_fired_at) SELECT rule_id, key, last_fired_at FROM alert_cooldowns;
DROP TABLE alert_cooldowns;
ALTER TABLE alert_cooldowns_v2 RENAME TO alert_cooldowns;

CREATE TABLE alert_deliveries_v2 (
  id           INTEGER PRIMARY KEY,
  rule_id      INTEGER NOT NULL REFERENCES alert_rules_v2(id) ON DELETE CASCADE,
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
  finished_at  INTEGER NOT NULL,
  issue_title  TEXT
);
INSERT INTO alert_deliveries_v2 (id, rule_id, alert_id, kind, reason, fingerprint, channel_id, channel_type,
  target, outcome, attempts, status_code, response, error, fired_at, finished_at, issue_title)
SELECT id, rule_id, alert_id, kind, reason, fingerprint, channel_id, channel_type, target, outcome, attempts,
  status_code, response, error, fired_at, finished_at, issue_title FROM alert_deliveries;
DROP TABLE alert_deliveries;
ALTER TABLE alert_deliveries_v2 RENAME TO alert_deliveries;
CREATE INDEX alert_deliveries_rule ON alert_deliveries(rule_id, id DESC);

-- Nothing refers to the old table any more: dropping it cascades nowhere.
DROP TABLE alert_rules;
ALTER TABLE alert_rules_v2 RENAME TO alert_rules;
CREATE INDEX alert_rules_project ON alert_rules(project_id, id);
