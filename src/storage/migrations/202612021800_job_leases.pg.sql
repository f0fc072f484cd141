-- PostgreSQL twin of 202612021800_job_leases.sql; never edit (a change is a new migration).
-- Who runs each scheduled job's current interval (storage/lease.ts): one row per job, claimed
-- by a conditional upsert, so exactly one node wins each interval.
CREATE TABLE job_leases (
  name       TEXT PRIMARY KEY,
  slot       BIGINT NOT NULL,
  holder     TEXT NOT NULL,
  held_until BIGINT NOT NULL
);
