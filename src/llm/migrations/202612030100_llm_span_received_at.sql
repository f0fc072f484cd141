-- A span's receive time: the receive time of its trace's first version
-- (llm_traces.created_at), stable across re-sends. PostgreSQL has had it from the start as
-- the partition key of llm_spans; SQLite gets the same column so the LLM writer
-- (src/llm/write/commit.ts) writes one INSERT for both, and `bloop db copy` copies it as
-- stored. The default only serves this ALTER: the writer always sets it, and the spans
-- already stored take their trace's created_at (their own start when the trace is gone).
ALTER TABLE llm_spans ADD COLUMN received_at INTEGER NOT NULL DEFAULT 0;
UPDATE llm_spans SET received_at = coalesce(
  (SELECT t.created_at FROM llm_traces t WHERE t.project_id = llm_spans.project_id AND t.id = llm_spans.trace_id),
  started_at
);
