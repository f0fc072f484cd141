-- Released as 006_sample_slots; never edit (a change is a new migration). All times are epoch milliseconds.

-- The sample reservoir becomes a ring of N slots per issue: the writer overwrites the
-- oldest slot with one upsert instead of inserting and then trimming (the trim cost more
-- than any other statement of a commit). Existing samples are numbered oldest first.
ALTER TABLE samples ADD COLUMN slot INTEGER NOT NULL DEFAULT 0;
UPDATE samples SET slot = (
  SELECT count(*) FROM samples AS older
  WHERE older.project_id = samples.project_id AND older.fingerprint = samples.fingerprint AND older.id < samples.id
);
DROP INDEX samples_issue;
CREATE UNIQUE INDEX samples_slot ON samples(project_id, fingerprint, slot);
