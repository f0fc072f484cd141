-- Released as 005_sentry; never edit (a change is a new migration). All times are epoch milliseconds.

-- Sentry SDK compatibility (SPEC 9): every project gets a Sentry public key, the user part
-- of its DSN `http(s)://<key>@<host>/<numeric_id>`. It is separate from the HMAC api key
-- because it is embedded in client apps and only allows ingest into its project; rotating
-- it does not touch the api key. 32 lowercase hex characters, like Sentry's keys.
ALTER TABLE projects ADD COLUMN sentry_public_key TEXT;

UPDATE projects SET sentry_public_key = lower(hex(randomblob(16))) WHERE sentry_public_key IS NULL;

CREATE UNIQUE INDEX projects_sentry_public_key ON projects(sentry_public_key);

-- Projects created later (by any feature) get a key without that code knowing about Sentry.
CREATE TRIGGER projects_sentry_public_key_default AFTER INSERT ON projects
  WHEN NEW.sentry_public_key IS NULL
BEGIN
  UPDATE projects SET sentry_public_key = lower(hex(randomblob(16))) WHERE numeric_id = NEW.numeric_id;
END;
