/**
 * OTLP/HTTP trace requests, decoded into one plain shape whichever encoding they came in.
 * Pure: bytes or parsed JSON in, spans out; no I/O.
 *
 * - `application/x-protobuf`: decoded by protobufjs with the official definitions of
 *   opentelemetry-proto v1.11.0 (./proto, vendored unchanged and embedded in the executable
 *   as text imports), so every field the collector understands is read the same way here.
 *   Nothing is fetched or generated at run time.
 * - `application/json`: the OTLP/JSON mapping (proto3 JSON with the OTLP exceptions):
 *   camelCase field names (snake_case is accepted too, as the proto3 JSON mapping allows),
 *   trace and span ids as hex strings, 64-bit integers as strings or numbers, enums as
 *   numbers, unknown fields ignored.
 *
 * A span whose ids are unusable (a trace id that is not 16 bytes, a span id that is not 8)
 * is not an error of the request: it is counted in `rejected` with the reason, and the
 * route answers with `partialSuccess` as the OTLP specification asks. Only a body that is
 * not OTLP at all (broken protobuf, JSON that is not an object) fails the whole request.
 *
 * Times stay nanoseconds as bigint until the mapper turns them into milliseconds: a
 * nanosecond timestamp does not fit a double exactly.
 */
import protobuf from 'protobufjs'
import commonProto from './proto/common.proto' with { type: 'text' }
import logsProto from './proto/logs.proto' with { type: 'text' }
import logsServiceProto from './proto/logs_service.proto' with { type: 'text' }
import resourceProto from './proto/resource.proto' with { type: 'text' }
import traceProto from './proto/trace.proto' with { type: 'text' }
import serviceProto from './proto/trace_service.proto' with { type: 'text' }

/** An attribute value: AnyValue with bytes as base64, kvlists as objects, 64-bit ints as numbers when exact. */
export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue }
export type Attributes = Record<string, AttrValue>

export interface OtlpEvent {
  name: string
  timeNs: bigint
  attributes: Attributes
}

/** Status codes of opentelemetry.proto.trace.v1.Status. */
export const STATUS_UNSET = 0
export const STATUS_OK = 1
export const STATUS_ERROR = 2

export interface OtlpSpan {
  /** 32 lowercase hex characters. */
  traceId: string
  /** 16 lowercase hex characters. */
  spanId: string
  /** null for a root span (absent or all-zero parent). */
  parentSpanId: string | null
  name: string
  /** SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number
  startNs: bigint
  endNs: bigint
  attributes: Attributes
  events: OtlpEvent[]
  status: { code: number; message: string }
  resource: Attributes
  scope: { name: string; version: string }
}

export interface Decoded {
  spans: OtlpSpan[]
  /** Spans refused one by one (their ids were unusable), with the first reason. */
  rejected: number
  rejectReason: string | null
}

export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError'
}

// The files import each other by their path in opentelemetry-proto; parsing them into
// one root in dependency order resolves those imports without a file system.
const root = new protobuf.Root()
for (const source of [commonProto, resourceProto, traceProto, serviceProto, logsProto, logsServiceProto]) {
  protobuf.parse(source, root, { keepCase: false })
}
root.resolveAll()
const ExportRequest = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest')
const ExportResponse = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse')
export const LogsRequest = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest')
export const LogsResponse = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse')

// google.rpc.Status, the body OTLP/HTTP servers answer failures with in protobuf. Defined
// here rather than vendored: three fields (google/rpc/status.proto), the details left empty.
const statusRoot = protobuf.parse(
  `syntax = "proto3"; package google.rpc;
   message Any { string type_url = 1; bytes value = 2; }
   message Status { int32 code = 1; string message = 2; repeated Any details = 3; }`,
  { keepCase: false },
).root
const RpcStatus = statusRoot.lookupType('google.rpc.Status')

/** Decodes a protobuf ExportTraceServiceRequest. */
export function decodeProtobuf(body: Uint8Array): Decoded {
  let message: protobuf.Message
  try {
    message = ExportRequest.decode(body)
  } catch (err) {
    throw new OtlpDecodeError(`body is not a protobuf ExportTraceServiceRequest: ${(err as Error).message}`)
  }
  // The decoded message is walked as it is, without protobufjs's toObject copy (which
  // doubled the cost, docs/benchmarks.md): fields that were sent are own properties (absent
  // ones are only prototype defaults, which `field` does not see), 64-bit integers are Long
  // objects (read exactly through their decimal string) and bytes are Uint8Arrays.
  return collect(message as unknown as Record<string, unknown>, 'bytes')
}

/** Decodes an OTLP/JSON ExportTraceServiceRequest that JSON.parse already read. */
export function decodeJson(value: unknown): Decoded {
  if (!isObject(value)) throw new OtlpDecodeError('body must be a JSON object with "resourceSpans"')
  return collect(value, 'hex')
}

/** The success answer: `{}`, or `partialSuccess` when some spans were refused. */
export function responseBody(rejected: number, message: string | null): Record<string, unknown> {
  if (rejected === 0 && !message) return {}
  return { partialSuccess: { rejectedSpans: String(rejected), errorMessage: message ?? '' } }
}

export function encodeResponse(rejected: number, message: string | null): Uint8Array {
  const fields =
    rejected === 0 && !message
      ? {}
      : { partialSuccess: { rejectedSpans: rejected, errorMessage: message ?? '' } }
  return ExportResponse.encode(ExportResponse.fromObject(fields)).finish()
}

/** A failure as a protobuf google.rpc.Status (`code` is the gRPC code matching the HTTP status). */
export function encodeStatus(httpStatus: number, message: string): Uint8Array {
  return RpcStatus.encode(RpcStatus.fromObject({ code: grpcCode(httpStatus), message })).finish()
}

/** The gRPC status code the OTLP specification pairs with an HTTP status. */
function grpcCode(status: number): number {
  if (status === 400) return 3 // INVALID_ARGUMENT
  if (status === 401) return 16 // UNAUTHENTICATED
  if (status === 403) return 7 // PERMISSION_DENIED
  if (status === 404) return 5 // NOT_FOUND
  if (status === 413 || status === 429) return 8 // RESOURCE_EXHAUSTED
  if (status === 415) return 3
  if (status === 503) return 14 // UNAVAILABLE
  return 2 // UNKNOWN
}

export type IdForm = 'bytes' | 'hex'

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

const snakeNames = new Map<string, string>()

/** A field by its camelCase name, or its snake_case name (the proto3 JSON mapping accepts both). */
export function field(o: Record<string, unknown>, camel: string): unknown {
  const v = Object.hasOwn(o, camel) ? o[camel] : undefined
  if (v !== undefined) return v
  let snake = snakeNames.get(camel)
  if (snake === undefined) {
    snake = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
    snakeNames.set(camel, snake)
  }
  return snake === camel || !Object.hasOwn(o, snake) ? undefined : o[snake]
}

export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])
export const str = (v: unknown): string => (typeof v === 'string' ? v : '')

function collect(request: Record<string, unknown>, ids: IdForm): Decoded {
  const out: Decoded = { spans: [], rejected: 0, rejectReason: null }
  const reject = (reason: string) => {
    out.rejected++
    out.rejectReason ??= reason
  }
  for (const rs of list(field(request, 'resourceSpans'))) {
    if (!isObject(rs)) continue
    const resourceObj = field(rs, 'resource')
    const resource = isObject(resourceObj) ? attributes(field(resourceObj, 'attributes')) : {}
    for (const ss of list(field(rs, 'scopeSpans'))) {
      if (!isObject(ss)) continue
      const scopeObj = field(ss, 'scope')
      const scope = isObject(scopeObj)
        ? { name: str(field(scopeObj, 'name')), version: str(field(scopeObj, 'version')) }
        : { name: '', version: '' }
      for (const s of list(field(ss, 'spans'))) {
        if (!isObject(s)) {
          reject('a span is not an object')
          continue
        }
        const span = spanOf(s, ids, resource, scope)
        if (typeof span === 'string') reject(span)
        else out.spans.push(span)
      }
    }
  }
  return out
}

function spanOf(
  s: Record<string, unknown>,
  ids: IdForm,
  resource: Attributes,
  scope: OtlpSpan['scope'],
): OtlpSpan | string {
  const traceId = idOf(field(s, 'traceId'), ids, 16)
  if (traceId === null || /^0+$/.test(traceId))
    return 'traceId must be 16 bytes (32 hex characters), not all zero'
  const spanId = idOf(field(s, 'spanId'), ids, 8)
  if (spanId === null || /^0+$/.test(spanId))
    return 'spanId must be 8 bytes (16 hex characters), not all zero'
  const rawParent = field(s, 'parentSpanId')
  const empty = rawParent === undefined || rawParent === null || rawParent === '' || isEmptyBytes(rawParent)
  const parent = empty ? null : idOf(rawParent, ids, 8)
  if (!empty && parent === null) return 'parentSpanId must be empty or 8 bytes (16 hex characters)'
  const startNs = nanos(field(s, 'startTimeUnixNano'))
  const endNs = nanos(field(s, 'endTimeUnixNano'))
  const statusObj = field(s, 'status')
  const status = isObject(statusObj)
    ? { code: statusCode(field(statusObj, 'code')), message: str(field(statusObj, 'message')) }
    : { code: STATUS_UNSET, message: '' }
  const kind = Number(field(s, 'kind') ?? 0)
  return {
    traceId,
    spanId,
    parentSpanId: parent === null || /^0+$/.test(parent) ? null : parent,
    name: str(field(s, 'name')),
    kind: Number.isInteger(kind) ? kind : 0,
    startNs,
    // An end before the start is a clock step: the span is read as instantaneous.
    endNs: endNs !== 0n && endNs < startNs ? startNs : endNs,
    attributes: attributes(field(s, 'attributes')),
    events: list(field(s, 'events')).flatMap((e) =>
      isObject(e)
        ? [
            {
              name: str(field(e, 'name')),
              timeNs: nanos(field(e, 'timeUnixNano')),
              attributes: attributes(field(e, 'attributes')),
            },
          ]
        : [],
    ),
    status,
    resource,
    scope,
  }
}

/** A 64-bit integer as protobufjs decodes it (the `long` package's Long). */
const isLong = (v: unknown): v is { low: number; high: number; toString(): string } =>
  typeof v === 'object' && v !== null && typeof (v as { low?: unknown }).low === 'number' && 'high' in v

const isEmptyBytes = (v: unknown) => v instanceof Uint8Array && v.byteLength === 0

export function idOf(v: unknown, form: IdForm, bytes: number): string | null {
  if (form === 'bytes') {
    if (!(v instanceof Uint8Array) || v.byteLength !== bytes) return null
    return Buffer.from(v).toString('hex')
  }
  if (typeof v !== 'string') return null
  const hex = v.toLowerCase()
  return hex.length === bytes * 2 && /^[0-9a-f]+$/.test(hex) ? hex : null
}

/** A fixed64 nanosecond count from a string or number; 0 when absent or unreadable. */
export function nanos(v: unknown): bigint {
  if (isLong(v)) return BigInt(v.toString())
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return BigInt(v)
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return BigInt(Math.trunc(v))
  return 0n
}

/** The JSON mapping allows an enum by number or by name. */
function statusCode(v: unknown): number {
  if (v === 1 || v === 'STATUS_CODE_OK') return STATUS_OK
  if (v === 2 || v === 'STATUS_CODE_ERROR') return STATUS_ERROR
  return STATUS_UNSET
}

export function attributes(kvs: unknown): Attributes {
  const out: Attributes = {}
  for (const kv of list(kvs)) {
    if (!isObject(kv)) continue
    const key = str(field(kv, 'key'))
    if (key === '') continue
    out[key] = anyValue(field(kv, 'value'))
  }
  return out
}

/** AnyValue of every kind; a value with no kind set (the spec's "empty") is null. */
export function anyValue(v: unknown, depth = 0): AttrValue {
  if (!isObject(v) || depth > 16) return null
  const s = field(v, 'stringValue')
  if (typeof s === 'string') return s
  const b = field(v, 'boolValue')
  if (typeof b === 'boolean') return b
  const i = field(v, 'intValue')
  if (typeof i === 'string' || typeof i === 'number') return intOf(i)
  if (isLong(i)) return intOf(i.toString())
  const d = field(v, 'doubleValue')
  if (typeof d === 'number') return d
  // proto3 JSON writes the doubles JSON has no literal for as strings.
  if (d === 'NaN' || d === 'Infinity' || d === '-Infinity') return d
  const arr = field(v, 'arrayValue')
  if (isObject(arr)) return list(field(arr, 'values')).map((x) => anyValue(x, depth + 1))
  const kvl = field(v, 'kvlistValue')
  if (isObject(kvl)) {
    const out: Record<string, AttrValue> = {}
    for (const kv of list(field(kvl, 'values'))) {
      if (isObject(kv)) out[str(field(kv, 'key'))] = anyValue(field(kv, 'value'), depth + 1)
    }
    return out
  }
  const bytes = field(v, 'bytesValue')
  if (bytes instanceof Uint8Array) return Buffer.from(bytes).toString('base64')
  if (typeof bytes === 'string') return bytes
  return null
}

/** A 64-bit integer as a number when exact, as its decimal string otherwise. */
function intOf(v: string | number): number | string {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : String(v)
  const n = Number(v)
  return Number.isSafeInteger(n) ? n : v
}
