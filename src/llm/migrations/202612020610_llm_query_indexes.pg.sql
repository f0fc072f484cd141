-- PostgreSQL twin of 202612020610_llm_query_indexes.sql; never edit (a change is a new migration).
-- Covering indexes of the LLM read API's two routes that read many raw rows
-- (src/llm/query/tools.ts, src/llm/query/prompts.ts). Without them a 30-day window of a
-- million traces looked up every matching row in the table: about 1.4 s for the tools of
-- a million tool spans and 0.9 s for the prompts of 500,000 traces (docs/benchmarks.md).
-- Partial, so only tool and retrieval spans and traces naming a prompt pay for them.

-- GET /v1/llm/tools: every column its query reads.
CREATE INDEX llm_spans_tools ON llm_spans (project_id, started_at, name, span_type, status, latency_ms, cost_micros)
  WHERE span_type IN ('tool', 'retrieval');

-- GET /v1/llm/prompts and /prompts/:name/versions|compare: by name, then the window.
CREATE INDEX llm_traces_prompt_stats ON llm_traces (project_id, prompt_name, started_at, prompt_version, status,
  cost_micros, duration_ms, input_tokens, output_tokens)
  WHERE prompt_name IS NOT NULL;
