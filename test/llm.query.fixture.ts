/**
 * The traces every LLM read test uses, with the values they must produce worked out by
 * hand in the tests. The clock is NOW (10:30 UTC); the 24-hour window starts at 11:00 the
 * day before.
 *
 *   T1 tr-chat-1     09:30  session s-1, user u-1, prompt greet/v1, 1.5 s, completed
 *        s1 generation gpt-4o/openai 100 in 50 out $0.0025 1200 ms ttft 300
 *        s2 tool web_search (under s1) 200 ms        s3 retrieval vector_search (under s1) 60 ms, nested rag
 *   T2 tr-agent-2    08:30  session s-1, user u-1, prompt greet/v2, 4 s, error
 *        a generation claude-sonnet-4-5/anthropic 1000 in (400 cached) 200 out $0.006 3000 ms ttft 800, error
 *        b retrieval vector_search (under a) 100 ms, flat rag.* keys
 *        c generation gpt-4o/openai 10 in 5 out $0.0001 400 ms, parent "missing" (an orphan)
 *   T3 tr-old-3      30 hours ago, user u-2, gpt-4o-mini 50 in 10 out $0.00003 500 ms
 *   T4 tr-running-4  10:20  session s-2, user u-2, running, one gpt-4o span with unknown usage and cost
 * And in another project, a trace with T1's id, named "secret", costing $1.
 */
import { HOUR, NOW, type WireTrace } from './llm.query.helpers'

const at = (hoursAgo: number) => NOW - hoursAgo * HOUR

export const T1: WireTrace = {
  id: 'tr-chat-1',
  session_id: 's-1',
  user_id: 'u-1',
  name: 'chat-completion magic-word-ab12',
  prompt_name: 'greet',
  prompt_version: 'v1',
  started_at: at(1),
  ended_at: at(1) + 1500,
  spans: [
    {
      id: 's1',
      span_type: 'generation',
      name: 'gpt-4o call',
      model: 'gpt-4o',
      provider: 'openai',
      input_tokens: 100,
      output_tokens: 50,
      cost: 0.0025,
      latency_ms: 1200,
      time_to_first_token_ms: 300,
      started_at: at(1),
    },
    {
      id: 's2',
      parent_span_id: 's1',
      span_type: 'tool',
      name: 'web_search',
      latency_ms: 200,
      started_at: at(1) + 10,
    },
    {
      id: 's3',
      parent_span_id: 's1',
      span_type: 'retrieval',
      name: 'vector_search',
      latency_ms: 60,
      metadata: { rag: { source: 'docs', chunks_retrieved: 4, chunks_used: 4, relevance_scores: [0.5] } },
      started_at: at(1) + 20,
    },
  ],
}

export const T2: WireTrace = {
  id: 'tr-agent-2',
  session_id: 's-1',
  user_id: 'u-1',
  name: 'agent-run',
  status: 'error',
  prompt_name: 'greet',
  prompt_version: 'v2',
  started_at: at(2),
  ended_at: at(2) + 4000,
  spans: [
    {
      id: 'a',
      span_type: 'generation',
      name: 'plan',
      model: 'claude-sonnet-4-5',
      provider: 'anthropic',
      input_tokens: 1000,
      output_tokens: 200,
      cache_read_tokens: 400,
      cost: 0.006,
      latency_ms: 3000,
      time_to_first_token_ms: 800,
      status: 'error',
      error_message: 'upstream overloaded: rate limit',
      started_at: at(2),
    },
    {
      id: 'b',
      parent_span_id: 'a',
      span_type: 'retrieval',
      name: 'vector_search',
      latency_ms: 100,
      metadata: {
        'rag.source': 'docs',
        'rag.chunks_retrieved': 8,
        'rag.chunks_used': 2,
        'rag.context_tokens': 1500,
        'rag.max_context_tokens': 6000,
        'rag.top_k': 8,
        'rag.relevance_scores': [0.9, 0.4],
      },
      started_at: at(2) + 10,
    },
    {
      id: 'c',
      parent_span_id: 'missing',
      span_type: 'generation',
      name: 'answer',
      model: 'gpt-4o',
      provider: 'openai',
      input_tokens: 10,
      output_tokens: 5,
      cost: 0.0001,
      latency_ms: 400,
      started_at: at(2) + 20,
    },
  ],
}

export const T3: WireTrace = {
  id: 'tr-old-3',
  user_id: 'u-2',
  name: 'classify',
  started_at: at(30),
  ended_at: at(30) + 500,
  spans: [
    {
      id: 'x',
      span_type: 'generation',
      name: 'classify',
      model: 'gpt-4o-mini',
      provider: 'openai',
      input_tokens: 50,
      output_tokens: 10,
      cost: 0.00003,
      latency_ms: 500,
      started_at: at(30),
    },
  ],
}

export const T4: WireTrace = {
  id: 'tr-running-4',
  session_id: 's-2',
  user_id: 'u-2',
  name: 'summarize',
  status: 'running',
  started_at: NOW - 10 * 60_000,
  spans: [
    {
      id: 'r',
      span_type: 'generation',
      name: 'summarize',
      model: 'gpt-4o',
      provider: 'openai',
      started_at: NOW - 10 * 60_000,
    },
  ],
}

export const FOREIGN: WireTrace = {
  id: 'tr-chat-1',
  session_id: 's-1',
  name: 'secret',
  prompt_name: 'greet',
  prompt_version: 'v1',
  started_at: at(1),
  ended_at: at(1) + 100,
  spans: [
    {
      id: 's1',
      span_type: 'generation',
      name: 'secret call',
      model: 'gpt-4o',
      provider: 'openai',
      input_tokens: 1,
      output_tokens: 1,
      cost: 1,
      latency_ms: 50,
      started_at: at(1),
    },
  ],
}

export const TRACES = [T1, T2, T3, T4]
