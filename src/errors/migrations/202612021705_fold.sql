-- Tag counts and users affected are folded in after the commit (errors/fold.ts), from the
-- raw events after a watermark. Never edit once merged: a change is a new migration.

-- One row: the id of the last raw event whose tags and users are counted. It moves in the
-- same transaction as the counts it covers, so a restart neither loses nor repeats one.
CREATE TABLE errors_fold (
  id          INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  last_raw_id INTEGER NOT NULL
);
-- Events stored before this migration were counted inside their commit.
INSERT INTO errors_fold (id, last_raw_id) SELECT 1, coalesce(max(id), 0) FROM raw_events;
