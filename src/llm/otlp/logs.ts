/**
 * OTLP logs that carry GenAI content. Pure: a decoded ExportLogsServiceRequest in, trace
 * pieces out.
 *
 * The GenAI conventions' message events (`gen_ai.system.message`, `gen_ai.user.message`,
 * `gen_ai.assistant.message`, `gen_ai.tool.message`, `gen_ai.choice`, and the current
 * `gen_ai.client.inference.operation.details`) are emitted by several instrumentations
 * (opentelemetry-instrumentation-openai-v2 among them) as log records through the Logs API,
 * not as span events: the prompt and completion then travel in `/v1/logs`, with the trace
 * and span ids of the model call. Those records become the input and output of that span:
 * one trace piece per trace holding only `{id, input, output}` per span, a re-send that
 * keeps every other stored field (src/llm/model.ts), so it does not matter whether the
 * span or its logs arrive first. The content policy applies as for any content.
 *
 * Records that are not GenAI events of a span (application logs, events outside a span)
 * are not stored; the answer says how many in `partialSuccess.errorMessage` (a warning: they
 * were accepted, so they are not counted as rejected and the exporter does not retry them).
 */
import {
  type Attributes,
  type AttrValue,
  anyValue,
  attributes,
  field,
  type IdForm,
  idOf,
  isObject,
  LogsRequest,
  LogsResponse,
  list,
  nanos,
  OtlpDecodeError,
  str,
} from './decode'
import type { RawTrace } from './map'

export interface OtlpLog {
  traceId: string
  spanId: string
  name: string
  timeNs: bigint
  body: AttrValue
  attributes: Attributes
}

export interface DecodedLogs {
  logs: OtlpLog[]
  /** Records that are not GenAI events of a span. */
  ignored: number
}

const ROLES: Record<string, string> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
}
const CHOICE = 'gen_ai.choice'
const DETAILS = 'gen_ai.client.inference.operation.details'
const isGenAiEvent = (name: string) => name in ROLES || name === CHOICE || name === DETAILS

export function decodeLogsProtobuf(body: Uint8Array): DecodedLogs {
  let message: unknown
  try {
    message = LogsRequest.decode(body)
  } catch (err) {
    throw new OtlpDecodeError(`body is not a protobuf ExportLogsServiceRequest: ${(err as Error).message}`)
  }
  return collect(message as Record<string, unknown>, 'bytes')
}

export function decodeLogsJson(value: unknown): DecodedLogs {
  if (!isObject(value)) throw new OtlpDecodeError('body must be a JSON object with "resourceLogs"')
  return collect(value, 'hex')
}

export function encodeLogsResponse(warning: string | null): Uint8Array {
  const fields = warning ? { partialSuccess: { rejectedLogRecords: 0, errorMessage: warning } } : {}
  return LogsResponse.encode(LogsResponse.fromObject(fields)).finish()
}

export const logsResponseBody = (warning: string | null) =>
  warning ? { partialSuccess: { rejectedLogRecords: '0', errorMessage: warning } } : {}

function collect(request: Record<string, unknown>, ids: IdForm): DecodedLogs {
  const out: DecodedLogs = { logs: [], ignored: 0 }
  for (const rl of list(field(request, 'resourceLogs'))) {
    if (!isObject(rl)) continue
    for (const sl of list(field(rl, 'scopeLogs'))) {
      if (!isObject(sl)) continue
      for (const r of list(field(sl, 'logRecords'))) {
        if (!isObject(r)) {
          out.ignored++
          continue
        }
        const attrs = attributes(field(r, 'attributes'))
        // The event name is a field of its own since OTLP 1.5; before, the `event.name` attribute.
        const name =
          str(field(r, 'eventName')) || (typeof attrs['event.name'] === 'string' ? attrs['event.name'] : '')
        const traceId = idOf(field(r, 'traceId'), ids, 16)
        const spanId = idOf(field(r, 'spanId'), ids, 8)
        if (!isGenAiEvent(name) || !traceId || !spanId || /^0+$/.test(traceId) || /^0+$/.test(spanId)) {
          out.ignored++
          continue
        }
        out.logs.push({
          traceId,
          spanId,
          name,
          timeNs: nanos(field(r, 'timeUnixNano')) || nanos(field(r, 'observedTimeUnixNano')),
          body: anyValue(field(r, 'body')),
          attributes: attrs,
        })
      }
    }
  }
  return out
}

const parsed = (v: AttrValue | undefined): unknown => {
  if (typeof v !== 'string') return v ?? undefined
  try {
    return JSON.parse(v)
  } catch {
    return v
  }
}

/** The GenAI events of each span as that span's input and output, grouped into trace pieces. */
export function mapLogs(logs: readonly OtlpLog[], maxSpans: number): RawTrace[] {
  const bySpan = new Map<string, OtlpLog[]>()
  for (const l of logs) {
    const key = `${l.traceId}/${l.spanId}`
    const group = bySpan.get(key)
    if (group) group.push(l)
    else bySpan.set(key, [l])
  }
  const byTrace = new Map<string, Record<string, unknown>[]>()
  for (const group of bySpan.values()) {
    group.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0))
    const first = group[0] as OtlpLog
    const input: unknown[] = []
    const output: unknown[] = []
    let detailsIn: unknown
    let detailsOut: unknown
    for (const l of group) {
      const body = isObject(l.body) ? l.body : l.body === null ? {} : { content: l.body }
      const role = ROLES[l.name]
      if (role) input.push({ role, ...body })
      else if (l.name === CHOICE) output.push(body)
      else {
        const a = { ...l.attributes, ...(isObject(l.body) ? (l.body as Attributes) : {}) }
        const system = parsed(a['gen_ai.system_instructions'])
        const messages = parsed(a['gen_ai.input.messages'])
        if (messages !== undefined)
          detailsIn =
            system !== undefined && Array.isArray(messages)
              ? [{ role: 'system', parts: system }, ...messages]
              : messages
        const out = parsed(a['gen_ai.output.messages'])
        if (out !== undefined) detailsOut = out
      }
    }
    const span: Record<string, unknown> = { id: first.spanId }
    const i = detailsIn ?? (input.length ? input : undefined)
    const o = detailsOut ?? (output.length ? output : undefined)
    if (i !== undefined) span.input = typeof i === 'string' ? i : JSON.stringify(i)
    if (o !== undefined) span.output = typeof o === 'string' ? o : JSON.stringify(o)
    if (span.input === undefined && span.output === undefined) continue
    const spans = byTrace.get(first.traceId) ?? []
    spans.push(span)
    byTrace.set(first.traceId, spans)
  }
  const out: RawTrace[] = []
  for (const [id, spans] of byTrace)
    for (let at = 0; at < spans.length; at += maxSpans)
      out.push({ id, spans: spans.slice(at, at + maxSpans) })
  return out
}
