-- PostgreSQL twin of 202612030100_llm_span_received_at.sql; never edit (a change is a new migration).
-- Nothing to do: llm_spans.received_at is PostgreSQL's partition key since
-- 202612020500_llm_tracing.pg.sql, set by every insert. The SQLite migration adds the same
-- column there.
SELECT 1;
