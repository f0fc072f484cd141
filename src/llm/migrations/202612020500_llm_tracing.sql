-- The LLM tracing feature's tables. All times are epoch milliseconds, money is integer
-- microdollars, an unknown token count or cost is NULL (never 0). Only the writer thread
-- writes traces, spans, rollups and the search index (src/llm/tasks.ts); settings,
-- overrides, scores and feedback are small administrative writes of the main connection.

-- One row per trace. A re-sent trace id updates its row in place (seq is stable, so the
-- search index keeps pointing at it). Totals are sums over the trace's spans; a column is
-- NULL when no span knew it.
CREATE TABLE llm_traces (
  seq                INTEGER PRIMARY KEY,
  project_id         TEXT NOT NULL,
  id                 TEXT NOT NULL,
  session_id         TEXT,
  user_id            TEXT,
  name               TEXT NOT NULL DEFAULT '',
  status             TEXT NOT NULL CHECK (status IN ('running', 'completed', 'error')),
  source             TEXT NOT NULL DEFAULT 'sdk' CHECK (source IN ('sdk', 'proxy', 'otlp')),
  input              TEXT,
  output             TEXT,
  metadata           TEXT,
  tags               TEXT,
  prompt_name        TEXT,
  prompt_version     TEXT,
  started_at         INTEGER NOT NULL,
  ended_at           INTEGER,
  duration_ms        INTEGER,
  span_count         INTEGER NOT NULL DEFAULT 0,
  error_count        INTEGER NOT NULL DEFAULT 0,
  input_tokens       INTEGER,
  output_tokens      INTEGER,
  cache_read_tokens  INTEGER,
  cache_write_tokens INTEGER,
  reasoning_tokens   INTEGER,
  total_tokens       INTEGER,
  cost_micros        INTEGER,
  -- Distinct models and providers of the spans, space separated with a leading and a
  -- trailing space (' gpt-4o claude-x '), so a filter is `models LIKE '% gpt-4o %'`.
  models             TEXT NOT NULL DEFAULT '',
  providers          TEXT NOT NULL DEFAULT '',
  -- Server receive time of the first version: what retention judges.
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  UNIQUE (project_id, id)
);
CREATE INDEX llm_traces_started ON llm_traces (project_id, started_at DESC);
CREATE INDEX llm_traces_status ON llm_traces (project_id, status, started_at DESC);
CREATE INDEX llm_traces_errors ON llm_traces (project_id, started_at DESC) WHERE error_count > 0;
CREATE INDEX llm_traces_cost ON llm_traces (project_id, cost_micros);
CREATE INDEX llm_traces_duration ON llm_traces (project_id, duration_ms);
CREATE INDEX llm_traces_session ON llm_traces (project_id, session_id, started_at) WHERE session_id IS NOT NULL;
CREATE INDEX llm_traces_user ON llm_traces (project_id, user_id, started_at) WHERE user_id IS NOT NULL;
CREATE INDEX llm_traces_prompt ON llm_traces (project_id, prompt_name, prompt_version, started_at)
  WHERE prompt_name IS NOT NULL;
CREATE INDEX llm_traces_source ON llm_traces (project_id, source, started_at DESC);
-- Retention walks every project's traces in receive order.
CREATE INDEX llm_traces_created ON llm_traces (created_at, seq);

-- One row per span. cost_source says how cost_micros was found; price_version names the
-- price table version or the override that priced it.
CREATE TABLE llm_spans (
  seq                    INTEGER PRIMARY KEY,
  project_id             TEXT NOT NULL,
  trace_id               TEXT NOT NULL,
  id                     TEXT NOT NULL,
  parent_span_id         TEXT,
  span_type              TEXT NOT NULL CHECK (span_type IN ('generation', 'tool', 'retrieval', 'custom')),
  name                   TEXT NOT NULL DEFAULT '',
  model                  TEXT,
  provider               TEXT,
  status                 TEXT NOT NULL CHECK (status IN ('ok', 'error', 'running')),
  error_message          TEXT,
  input                  TEXT,
  output                 TEXT,
  metadata               TEXT,
  started_at             INTEGER NOT NULL,
  ended_at               INTEGER,
  latency_ms             INTEGER,
  time_to_first_token_ms INTEGER,
  input_tokens           INTEGER,
  output_tokens          INTEGER,
  cache_read_tokens      INTEGER,
  cache_write_tokens     INTEGER,
  reasoning_tokens       INTEGER,
  total_tokens           INTEGER,
  cost_micros            INTEGER,
  cost_source            TEXT NOT NULL CHECK (cost_source IN ('client', 'table', 'override', 'unknown')),
  price_version          TEXT,
  UNIQUE (project_id, trace_id, id)
);
CREATE INDEX llm_spans_started ON llm_spans (project_id, started_at DESC);
CREATE INDEX llm_spans_model ON llm_spans (project_id, model, started_at DESC);
CREATE INDEX llm_spans_type ON llm_spans (project_id, span_type, started_at DESC);
CREATE INDEX llm_spans_errors ON llm_spans (project_id, started_at DESC) WHERE status = 'error';

-- Hourly rollup of spans by model and provider ('' when unknown), kept exact: a re-sent,
-- updated or pruned span takes its old contribution out before its new one goes in.
-- Each token column has a `_known` count of the spans that knew it, so a sum over partly
-- unknown usage is told apart from a full one. Sketches are log-bucket histograms
-- (src/llm/write/sketch.ts), mergeable and subtractable, 1% relative accuracy.
CREATE TABLE llm_usage_hourly (
  project_id               TEXT NOT NULL,
  hour                     INTEGER NOT NULL,
  model                    TEXT NOT NULL DEFAULT '',
  provider                 TEXT NOT NULL DEFAULT '',
  span_count               INTEGER NOT NULL DEFAULT 0,
  error_count              INTEGER NOT NULL DEFAULT 0,
  input_tokens             INTEGER NOT NULL DEFAULT 0,
  input_tokens_known       INTEGER NOT NULL DEFAULT 0,
  output_tokens            INTEGER NOT NULL DEFAULT 0,
  output_tokens_known      INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens        INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens_known  INTEGER NOT NULL DEFAULT 0,
  cache_write_tokens       INTEGER NOT NULL DEFAULT 0,
  cache_write_tokens_known INTEGER NOT NULL DEFAULT 0,
  reasoning_tokens         INTEGER NOT NULL DEFAULT 0,
  reasoning_tokens_known   INTEGER NOT NULL DEFAULT 0,
  cost_micros              INTEGER NOT NULL DEFAULT 0,
  cost_unknown_count       INTEGER NOT NULL DEFAULT 0,
  latency_sum_ms           INTEGER NOT NULL DEFAULT 0,
  latency_count            INTEGER NOT NULL DEFAULT 0,
  ttft_sum_ms              INTEGER NOT NULL DEFAULT 0,
  ttft_count               INTEGER NOT NULL DEFAULT 0,
  latency_sketch           BLOB,
  ttft_sketch              BLOB,
  PRIMARY KEY (project_id, hour, model, provider)
) WITHOUT ROWID;

-- Hourly rollup of traces (by the trace's started_at), kept exact the same way.
CREATE TABLE llm_trace_hourly (
  project_id         TEXT NOT NULL,
  hour               INTEGER NOT NULL,
  trace_count        INTEGER NOT NULL DEFAULT 0,
  error_trace_count  INTEGER NOT NULL DEFAULT 0,
  span_count         INTEGER NOT NULL DEFAULT 0,
  input_tokens       INTEGER NOT NULL DEFAULT 0,
  output_tokens      INTEGER NOT NULL DEFAULT 0,
  total_tokens       INTEGER NOT NULL DEFAULT 0,
  cost_micros        INTEGER NOT NULL DEFAULT 0,
  cost_unknown_count INTEGER NOT NULL DEFAULT 0,
  duration_sum_ms    INTEGER NOT NULL DEFAULT 0,
  duration_count     INTEGER NOT NULL DEFAULT 0,
  duration_sketch    BLOB,
  PRIMARY KEY (project_id, hour)
) WITHOUT ROWID;

-- Free-text search over trace names, span names, error messages and stored content.
-- Contentless (the text lives in llm_traces/llm_spans only), rowid = llm_traces.seq;
-- trigram tokens make substring and hyphenated searches work. A query joins llm_traces
-- on seq and filters by project.
CREATE VIRTUAL TABLE llm_search USING fts5(
  name, span_names, errors, content,
  content = '', contentless_delete = 1, tokenize = 'trigram'
);

-- Per-project LLM settings. NULL content_policy / retention_days: the config's default.
CREATE TABLE llm_settings (
  project_id            TEXT PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
  content_policy        TEXT CHECK (content_policy IN ('none', 'metadata_only', 'full')),
  monthly_budget_micros INTEGER NOT NULL DEFAULT 0 CHECK (monthly_budget_micros >= 0),
  budget_alert_rate     REAL NOT NULL DEFAULT 0.8 CHECK (budget_alert_rate > 0 AND budget_alert_rate <= 1),
  retention_days        INTEGER CHECK (retention_days BETWEEN 1 AND 3650),
  updated_by            TEXT,
  updated_at            INTEGER NOT NULL
) WITHOUT ROWID;

-- The global LLM retention window (one row), synced from llm_tracing.retention_days on
-- start so the writer thread's prune task can read it.
CREATE TABLE llm_retention (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  retention_days INTEGER NOT NULL CHECK (retention_days BETWEEN 1 AND 3650)
);

-- Operator prices (src/llm/overrides.ts). project_id NULL: global.
CREATE TABLE llm_pricing_overrides (
  id                   TEXT PRIMARY KEY,
  project_id           TEXT REFERENCES projects(id) ON DELETE CASCADE,
  model_pattern        TEXT NOT NULL,
  match                TEXT NOT NULL CHECK (match IN ('exact', 'glob')),
  provider             TEXT,
  input_per_mtok       REAL NOT NULL,
  output_per_mtok      REAL NOT NULL,
  cache_read_per_mtok  REAL,
  cache_write_per_mtok REAL,
  reasoning_per_mtok   REAL,
  effective_from       INTEGER NOT NULL,
  created_by           TEXT,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX llm_pricing_overrides_key ON llm_pricing_overrides (
  COALESCE(project_id, ''), lower(model_pattern), match, COALESCE(lower(provider), ''), effective_from
);
CREATE INDEX llm_pricing_overrides_project ON llm_pricing_overrides (project_id);

-- Models spans named that no price matched, so an operator can add an override.
CREATE TABLE llm_unknown_models (
  project_id TEXT NOT NULL,
  model      TEXT NOT NULL,
  provider   TEXT NOT NULL DEFAULT '',
  span_count INTEGER NOT NULL DEFAULT 0,
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  PRIMARY KEY (project_id, model, provider)
) WITHOUT ROWID;

-- One score per (trace, name): a later POST replaces it. value is 0-1.
CREATE TABLE llm_scores (
  project_id TEXT NOT NULL,
  trace_id   TEXT NOT NULL,
  name       TEXT NOT NULL,
  value      REAL NOT NULL CHECK (value >= 0 AND value <= 1),
  source     TEXT NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'user', 'auto')),
  comment    TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, trace_id, name)
) WITHOUT ROWID;
CREATE INDEX llm_scores_name ON llm_scores (project_id, name, created_at);
CREATE INDEX llm_scores_created ON llm_scores (project_id, created_at);

-- One vote per (trace, user): +1 or -1, a later POST replaces it.
CREATE TABLE llm_feedback (
  project_id TEXT NOT NULL,
  trace_id   TEXT NOT NULL,
  user_id    TEXT NOT NULL DEFAULT 'anonymous',
  value      INTEGER NOT NULL CHECK (value IN (1, -1)),
  comment    TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, trace_id, user_id)
) WITHOUT ROWID;
CREATE INDEX llm_feedback_created ON llm_feedback (project_id, created_at);

-- A trace's search row goes with it, whoever deletes it (retention, a project's purge).
CREATE TRIGGER llm_traces_search_delete AFTER DELETE ON llm_traces BEGIN
  DELETE FROM llm_search WHERE rowid = old.seq;
END;
