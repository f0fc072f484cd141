-- Released as 002_accounts; never edit (a change is a new migration). All times are epoch milliseconds.

-- Accounts and access (SPEC 5): users, their passkeys, sessions and invites.
-- All times are epoch milliseconds. Secrets (session and invite tokens) are stored only as
-- their SHA-256 hex; the plaintext exists in the user's cookie or invite link alone.

CREATE TABLE users (
  id         TEXT PRIMARY KEY,                         -- uuid; also the WebAuthn user handle
  username   TEXT NOT NULL UNIQUE COLLATE NOCASE,      -- "Alice" and "alice" are one person
  role       TEXT NOT NULL CHECK (role IN ('admin', 'user')),
  created_at INTEGER NOT NULL
);

-- One row per passkey. id is the credential id as base64url (what the browser sends back).
CREATE TABLE webauthn_credentials (
  id           TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  public_key   BLOB NOT NULL,                          -- COSE public key
  counter      INTEGER NOT NULL DEFAULT 0,
  transports   TEXT NOT NULL DEFAULT '[]',             -- JSON array, e.g. ["internal","hybrid"]
  name         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials(user_id, created_at);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,                         -- SHA-256 hex of the cookie value
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);

-- Single-use invitations; used_by keeps who joined through it (NULL once that user is deleted).
CREATE TABLE invites (
  id         TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_by    TEXT REFERENCES users(id) ON DELETE SET NULL,
  used_at    INTEGER,
  revoked_at INTEGER
);
CREATE INDEX invites_created ON invites(created_at DESC);
