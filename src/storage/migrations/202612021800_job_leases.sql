-- Who runs each scheduled job's current interval (storage/lease.ts). On SQLite one node runs
-- by design (bloop.lock), so its leases live in memory and this table stays empty: it is
-- here so both schemas have the same tables.
CREATE TABLE job_leases (
  name       TEXT PRIMARY KEY,
  -- The interval last claimed: the database clock's epoch milliseconds / the job's interval.
  slot       INTEGER NOT NULL,
  -- The node that claimed it (host:pid:random).
  holder     TEXT NOT NULL,
  -- Epoch milliseconds until which the holder's run is protected; 0 once it finished.
  held_until INTEGER NOT NULL
) WITHOUT ROWID;
