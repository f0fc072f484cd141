-- PostgreSQL twin of 001_api_tokens.sql (part of migration 001_core); never edit (a change is a new migration).

CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  token_hash   TEXT NOT NULL UNIQUE,
  token_prefix TEXT NOT NULL,
  project_id   TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  scopes       TEXT NOT NULL,
  created_by   TEXT,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT,
  last_used_at BIGINT,
  revoked_at   BIGINT
);
CREATE INDEX api_tokens_project ON api_tokens(project_id, created_at DESC);
