-- Released as part of 001_core; never edit (a change is a new migration). All times are epoch milliseconds.

-- numeric_id is the project id in Sentry DSNs; id is the stable text id used everywhere else.
CREATE TABLE projects (
  numeric_id   INTEGER PRIMARY KEY,
  id           TEXT NOT NULL UNIQUE,
  name         TEXT NOT NULL,
  slug         TEXT NOT NULL UNIQUE,
  -- The ingest key is the HMAC key clients sign with, so the server must hold it; only its
  -- hash is used for lookups (see docs/ARCHITECTURE.md, "Secrets").
  api_key      TEXT NOT NULL,
  api_key_hash TEXT NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,
  created_by   TEXT
);
