/**
 * One trace (`/llm/traces/:id`): the span tree as a waterfall, every bar placed and sized
 * to scale against the trace's time span (start offset and duration), nested by parent,
 * errors in red, time to first token marked on generation bars. Selecting a span shows
 * its model, tokens, cost and how that cost was priced, and its input and output, or
 * "not stored" when the project's content policy kept them out; chat messages are shown
 * as a conversation, with a raw JSON toggle; a failed span links to the bloop issue it
 * became. Below, the trace's scores and its users' feedback.
 */
import { useMemo, useState } from 'preact/hooks'
import { Ago, Badge, Json, Loading, Notice } from '../../components/bits'
import { useLoad } from '../../lib/hooks'
import { href } from '../../lib/router'
import { projectSlug, projectSlugOf } from '../../lib/session'
import type { PageProps } from '../routes'
import { llm, type SpanNode, type TraceDetail } from './api'
import { money, ms, tokens } from './format'
import { Feedback, Scores } from './Scores'

const ICON: Record<string, string> = { generation: '✦', tool: '⚙', retrieval: '⌕', custom: '•' }

interface Row {
  span: SpanNode
  depth: number
}

/** The tree in display order: each span, then its children, depth first. */
function flatten(tree: SpanNode[]): Row[] {
  const out: Row[] = []
  const walk = (nodes: SpanNode[], depth: number) => {
    for (const n of nodes) {
      out.push({ span: n, depth })
      walk(n.children, depth + 1)
    }
  }
  walk(tree, 0)
  return out
}

const endOf = (s: SpanNode) =>
  s.ended_at ?? (s.started_at !== null && s.latency_ms !== null ? s.started_at + s.latency_ms : s.started_at)

/** The time axis of the waterfall: the earliest start to the latest end of trace and spans. */
function extent(t: TraceDetail, rows: Row[]): { from: number; span: number } {
  const starts = [t.started_at, ...rows.map((r) => r.span.started_at)].filter((v): v is number => v !== null)
  const ends = [t.ended_at, ...rows.map((r) => endOf(r.span))].filter((v): v is number => v !== null)
  const from = Math.min(...starts)
  return { from, span: Math.max(1, Math.max(from, ...ends) - from) }
}

interface Message {
  role: string
  content?: unknown
  tool_calls?: unknown
}

/** Chat messages in the OpenAI or Anthropic shape (a list, or `{messages: [...]}`), else null. */
function messagesOf(v: unknown): Message[] | null {
  const list = Array.isArray(v) ? v : (v as { messages?: unknown } | null)?.messages
  if (!Array.isArray(list) || list.length === 0) return null
  const ok = list.every((m) => typeof m === 'object' && m !== null && typeof (m as Message).role === 'string')
  return ok ? (list as Message[]) : null
}

/** A message's text: a string, or the text blocks of a list of content blocks; other blocks as JSON. */
function MessageBody({ content }: { content: unknown }) {
  if (typeof content === 'string') return <p class="chat-text">{content}</p>
  if (Array.isArray(content))
    return (
      <>
        {content.map((b, i) =>
          typeof b === 'object' && b !== null && (b as { type?: unknown }).type === 'text' ? (
            <p class="chat-text" key={i}>
              {String((b as { text?: unknown }).text ?? '')}
            </p>
          ) : (
            <Json key={i} value={b} />
          ),
        )}
      </>
    )
  return content === undefined || content === null ? null : <Json value={content} />
}

function Messages({ list }: { list: Message[] }) {
  return (
    <ol class="chat">
      {list.map((m, i) => (
        <li key={i} class="chat-msg" data-role={m.role}>
          <strong class="chat-role">{m.role}</strong>
          <MessageBody content={m.content} />
          {m.tool_calls !== undefined && <Json value={m.tool_calls} />}
        </li>
      ))}
    </ol>
  )
}

function Content({ label, value }: { label: string; value: string | null }) {
  const [raw, setRaw] = useState(false)
  if (value === null)
    return (
      <div class="span-content">
        <h3>{label}</h3>
        <p class="muted" data-not-stored>
          Not stored (the project's content policy keeps it out).
        </p>
      </div>
    )
  let parsed: unknown = value
  try {
    parsed = JSON.parse(value)
  } catch {}
  const messages = messagesOf(parsed)
  return (
    <div class="span-content">
      <h3>
        {label}{' '}
        {typeof parsed !== 'string' && (
          <button type="button" class="btn small" onClick={() => setRaw(!raw)}>
            {raw ? 'Formatted' : 'Raw JSON'}
          </button>
        )}
      </h3>
      {typeof parsed === 'string' ? (
        <pre class="json">{parsed}</pre>
      ) : raw ? (
        <Json value={value} />
      ) : messages ? (
        <Messages list={messages} />
      ) : (
        <Json value={parsed} />
      )}
    </div>
  )
}

function SpanPanel({ s, project }: { s: SpanNode; project: string }) {
  return (
    <section class="card" id="llm-span" aria-labelledby="llm-span-title">
      <h2 id="llm-span-title">
        {ICON[s.span_type] ?? '•'} {s.name ?? s.id}{' '}
        <Badge kind={s.status === 'error' ? 'bad' : 'ok'}>{s.status}</Badge>
      </h2>
      {s.error_message && <Notice kind="error">{s.error_message}</Notice>}
      {s.issue_fingerprint && (
        <p>
          <a
            id="llm-span-issue"
            href={href(`/issues/${s.issue_fingerprint}`, { project: projectSlugOf(project) })}
          >
            Open the issue of this failure
          </a>
        </p>
      )}
      <dl class="facts">
        <dt>Type</dt>
        <dd>{s.span_type}</dd>
        <dt>Model</dt>
        <dd id="llm-span-model">{s.model ? `${s.model}${s.provider ? ` (${s.provider})` : ''}` : '—'}</dd>
        <dt>Duration</dt>
        <dd>{ms(s.latency_ms)}</dd>
        {s.time_to_first_token_ms !== null && (
          <>
            <dt>First token</dt>
            <dd>{ms(s.time_to_first_token_ms)}</dd>
          </>
        )}
        <dt>Tokens</dt>
        <dd id="llm-span-tokens">
          {tokens(s.input_tokens)} in / {tokens(s.output_tokens)} out
        </dd>
        <dt>Cost</dt>
        <dd id="llm-span-cost">{money(s.cost_micros)}</dd>
        <dt>Priced by</dt>
        <dd id="llm-span-cost-source">{s.cost_source}</dd>
      </dl>
      <Content label="Input" value={s.input} />
      <Content label="Output" value={s.output} />
      {s.metadata !== null && (
        <div class="span-content">
          <h3>Metadata</h3>
          <Json value={s.metadata} />
        </div>
      )}
    </section>
  )
}

function Waterfall({ t }: { t: TraceDetail }) {
  const rows = useMemo(() => flatten(t.tree), [t])
  const [selected, setSelected] = useState<string | null>(rows[0]?.span.id ?? null)
  const { from, span } = extent(t, rows)
  const pos = (v: number) => `${(((v - from) / span) * 100).toFixed(3)}%`
  const chosen = rows.find((r) => r.span.id === selected)?.span
  return (
    <div class="grid-2">
      <section class="card" aria-labelledby="llm-waterfall-title">
        <h2 id="llm-waterfall-title">Timeline ({ms(span)})</h2>
        <ol class="waterfall" id="llm-waterfall">
          {rows.map(({ span: s, depth }) => {
            const start = s.started_at ?? from
            const end = endOf(s) ?? start
            return (
              <li key={s.id}>
                <button
                  type="button"
                  class={`span-row ${s.status === 'error' ? 'error' : ''}`}
                  data-span={s.id}
                  data-depth={depth}
                  aria-pressed={s.id === selected}
                  onClick={() => setSelected(s.id)}
                >
                  <span class="span-name" style={{ paddingLeft: `${depth}rem` }}>
                    <span aria-hidden="true">{ICON[s.span_type] ?? '•'}</span> {s.name ?? s.id}
                    {s.orphan && <span class="muted"> (parent missing)</span>}
                  </span>
                  <span class="span-track">
                    <span
                      class="span-bar"
                      data-offset-ms={start - from}
                      data-duration-ms={end - start}
                      style={{ left: pos(start), width: `${(((end - start) / span) * 100).toFixed(3)}%` }}
                      title={`${ms(start - from)} + ${ms(end - start)}`}
                    />
                    {s.time_to_first_token_ms !== null && (
                      <span
                        class="span-ttft"
                        style={{ left: pos(start + s.time_to_first_token_ms) }}
                        title="first token"
                      />
                    )}
                  </span>
                </button>
              </li>
            )
          })}
        </ol>
      </section>
      {chosen ? (
        <SpanPanel s={chosen} project={t.project_id} />
      ) : (
        <p class="card empty">This trace has no spans.</p>
      )}
    </div>
  )
}

export function LlmTracePage({ params }: PageProps) {
  const id = params.id ?? ''
  const project = projectSlug.value ?? undefined
  const trace = useLoad(() => llm.trace(id, project), [id, project])
  const t = trace.data
  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={href('/llm/traces', { project })}>Traces</a> / <span>{id}</span>
      </nav>
      <Notice kind="error">{trace.error}</Notice>
      {!t ? (
        trace.error ? null : (
          <Loading what="trace" />
        )
      ) : (
        <>
          <div class="page-head">
            <h1>{t.name ?? t.id}</h1>
            <Badge kind={t.status === 'error' ? 'bad' : t.status === 'completed' ? 'ok' : 'muted'}>
              {t.status}
            </Badge>
          </div>
          <div class="stats card">
            <div class="stat">
              <strong>{ms(t.duration_ms)}</strong>
              <span>duration</span>
            </div>
            <div class="stat">
              <strong>{t.span_count}</strong>
              <span>spans</span>
            </div>
            <div class="stat">
              <strong>{tokens(t.total_tokens)}</strong>
              <span>tokens</span>
            </div>
            <div class="stat">
              <strong id="llm-trace-cost">{money(t.cost_micros)}</strong>
              <span>cost</span>
            </div>
            <div class="stat">
              <strong>
                <Ago ms={t.started_at} />
              </strong>
              <span>started</span>
            </div>
            {t.session_id && (
              <div class="stat">
                <strong>
                  <a href={href('/llm/traces', { project, session_id: t.session_id })}>{t.session_id}</a>
                </strong>
                <span>session</span>
              </div>
            )}
          </div>
          <Waterfall t={t} />
          <div class="grid-2">
            <Scores id={t.id} project={t.project_id} />
            <Feedback id={t.id} project={t.project_id} />
          </div>
        </>
      )}
    </>
  )
}
