-- PostgreSQL twin of 202612020600_llm_experiments.sql; never edit (a change is a new migration).
-- Prompt experiments: an experiment compares versions of one prompt (llm_traces.prompt_name
-- and prompt_version); each variant is one version with its share of traffic. Traces join
-- variants by prompt name and version from the experiment's start (and up to its end once
-- concluded): nothing is copied, so a trace re-sent later still counts once.
-- Small administrative writes of the main connection (not the writer thread). A deleted
-- project's experiments go with its row (ON DELETE CASCADE, and variants with their
-- experiment): a project has a handful, so they need no batched purge.
CREATE TABLE llm_experiments (
  id              TEXT PRIMARY KEY,
  project_id      TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name            TEXT NOT NULL,
  description     TEXT,
  prompt_name     TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('running', 'paused', 'concluded')),
  -- The fixed horizon: observations per arm planned before the start; p-values are not to
  -- be read before the smaller arm reaches it (src/llm/experiments/types.ts, Peeking).
  planned_per_arm BIGINT NOT NULL CHECK (planned_per_arm > 0),
  -- Metrics compared (JSON array of latency, cost, error_rate, thumbs_up_rate, scores).
  metrics         TEXT NOT NULL,
  started_at      BIGINT NOT NULL,
  concluded_at    BIGINT,
  created_by      TEXT,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  UNIQUE (project_id, name)
);
CREATE INDEX llm_experiments_project ON llm_experiments (project_id, updated_at DESC);

CREATE TABLE llm_experiment_variants (
  experiment_id      TEXT NOT NULL REFERENCES llm_experiments(id) ON DELETE CASCADE,
  position           BIGINT NOT NULL,
  project_id         TEXT NOT NULL,
  name               TEXT NOT NULL,
  version            TEXT NOT NULL,
  prompt_template    TEXT,
  -- Percent of units assigned to this variant; the variants of an experiment sum to 100.
  traffic_percentage DOUBLE PRECISION NOT NULL CHECK (traffic_percentage >= 0 AND traffic_percentage <= 100),
  PRIMARY KEY (experiment_id, position),
  UNIQUE (experiment_id, name),
  UNIQUE (experiment_id, version)
);
CREATE INDEX llm_experiment_variants_project ON llm_experiment_variants (project_id);
