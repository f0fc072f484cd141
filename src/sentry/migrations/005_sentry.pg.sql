-- PostgreSQL twin of 005_sentry.sql; never edit (a change is a new migration).
-- 32 lowercase hex characters, as lower(hex(randomblob(16))) gives on SQLite: 128 bits of a
-- hash over two random UUIDs (gen_random_uuid uses the strong random source).

ALTER TABLE projects ADD COLUMN sentry_public_key TEXT;

UPDATE projects SET sentry_public_key = left(encode(sha256((gen_random_uuid()::text || gen_random_uuid()::text)::bytea), 'hex'), 32)
WHERE sentry_public_key IS NULL;

CREATE UNIQUE INDEX projects_sentry_public_key ON projects(sentry_public_key);

CREATE FUNCTION projects_sentry_public_key_default() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.sentry_public_key IS NULL THEN
    NEW.sentry_public_key := left(encode(sha256((gen_random_uuid()::text || gen_random_uuid()::text)::bytea), 'hex'), 32);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER projects_sentry_public_key_default BEFORE INSERT ON projects
  FOR EACH ROW EXECUTE FUNCTION projects_sentry_public_key_default();
