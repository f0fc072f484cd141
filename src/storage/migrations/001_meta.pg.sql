-- PostgreSQL twin of 001_meta.sql (part of migration 001_core); never edit (a change is a new migration).
-- Facts about this database that no feature owns alone, and the functions that keep the
-- receive-time partitions of partitioned tables (raw events, LLM spans): one partition per
-- UTC day of epoch milliseconds, named <table>_pYYYYMMDD.

CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Creates the missing daily partitions of `tbl` covering from_ms through to_ms; returns
-- how many it created. Serialised per table, so two nodes may call it at once.
CREATE FUNCTION bloop_partitions_cover(tbl text, from_ms bigint, to_ms bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  d bigint := (from_ms / 86400000) * 86400000;
  part text;
  created integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('bloop_partitions:' || tbl));
  WHILE d <= to_ms LOOP
    part := tbl || '_p' || to_char(to_timestamp(d / 1000) AT TIME ZONE 'UTC', 'YYYYMMDD');
    IF to_regclass(quote_ident(part)) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%s) TO (%s)', part, tbl, d, d + 86400000);
      created := created + 1;
    END IF;
    d := d + 86400000;
  END LOOP;
  RETURN created;
END $$;

-- What the scheduler calls (daily is enough): for every range-partitioned table of this
-- schema, the partitions from yesterday through `days` ahead.
CREATE FUNCTION bloop_partitions_ahead(days integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  now_ms bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
  t text;
  created integer := 0;
BEGIN
  FOR t IN
    SELECT c.relname FROM pg_partitioned_table p
    JOIN pg_class c ON c.oid = p.partrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND p.partstrat = 'r'
    ORDER BY c.relname
  LOOP
    created := created + bloop_partitions_cover(t, now_ms - 86400000, now_ms + days::bigint * 86400000);
  END LOOP;
  RETURN created;
END $$;

-- Retention's fast path: drops the partitions of `tbl` whose whole day is before
-- cutoff_ms (no row of them is younger); returns how many it dropped.
CREATE FUNCTION bloop_partitions_drop_before(tbl text, cutoff_ms bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  r record;
  dropped integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('bloop_partitions:' || tbl));
  FOR r IN
    SELECT c.relname AS part,
           (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''?(-?\d+)''?\)'))[1]::bigint AS upper_ms
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = to_regclass(quote_ident(tbl))
  LOOP
    IF r.upper_ms IS NOT NULL AND r.upper_ms <= cutoff_ms THEN
      EXECUTE format('DROP TABLE %I', r.part);
      dropped := dropped + 1;
    END IF;
  END LOOP;
  RETURN dropped;
END $$;
