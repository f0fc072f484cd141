-- PostgreSQL twin of 006_sample_slots.sql; never edit (a change is a new migration).

ALTER TABLE samples ADD COLUMN slot BIGINT NOT NULL DEFAULT 0;
UPDATE samples SET slot = (
  SELECT count(*) FROM samples AS older
  WHERE older.project_id = samples.project_id AND older.fingerprint = samples.fingerprint AND older.id < samples.id
);
DROP INDEX samples_issue;
CREATE UNIQUE INDEX samples_slot ON samples(project_id, fingerprint, slot);
