/**
 * Real OpenTelemetry producers for the OTLP import tests: the JS SDK's tracer with the
 * official OTLP/HTTP exporters (protobuf and JSON), sending to whatever URL a test names.
 * Spans are built with fixed times so a test can assert exact latencies.
 */
import { type Attributes, type Context, ROOT_CONTEXT, type Span, trace } from '@opentelemetry/api'
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace'

export type Wire = 'proto' | 'json'

export interface SpanSpec {
  name: string
  attributes?: Attributes
  /** Epoch ms. */
  start: number
  end: number
  kind?: number
  error?: string
  events?: { name: string; attributes?: Attributes; at: number }[]
  exception?: Error
  children?: SpanSpec[]
}

/**
 * Exports the span trees through the real exporter; resolves with the export's result code
 * (0 = success). `url` null: the exporter takes its endpoint and headers from the
 * OTEL_EXPORTER_OTLP_* environment variables, as an application configured by them does.
 */
export async function exportSpans(
  wire: Wire,
  url: string | null,
  roots: SpanSpec[],
  o: {
    headers?: Record<string, string>
    compression?: 'gzip' | 'none'
    resource?: Attributes
    batchSize?: number
  } = {},
): Promise<{ code: number; error?: Error; traceIds: string[] }> {
  const options =
    url === null
      ? ({ compression: o.compression ?? 'none' } as const)
      : ({ url, headers: o.headers ?? {}, compression: o.compression ?? 'none' } as const)
  const exporter = (
    wire === 'proto' ? new ProtoExporter(options as never) : new JsonExporter(options as never)
  ) as SpanExporter | (SpanExporter & { export: SpanExporter['export'] })
  // Export results are read by wrapping the exporter: SimpleSpanProcessor swallows them.
  const results: { code: number; error?: Error }[] = []
  const recording: SpanExporter = {
    export: (spans, done) =>
      exporter.export(spans, (r) => {
        results.push(r)
        done(r)
      }),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  }
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'otlp-test', ...o.resource }),
    // The batch processor, as applications use it: one export per flush, up to 512 spans.
    spanProcessors: [new BatchSpanProcessor({ exporter: recording, maxExportBatchSize: o.batchSize ?? 512 })],
  })
  const tracer = provider.getTracer('bloop-test', '1.0.0')
  const traceIds: string[] = []
  const emit = (spec: SpanSpec, parent: Context): Span => {
    const span = tracer.startSpan(
      spec.name,
      { attributes: spec.attributes, startTime: spec.start, kind: spec.kind },
      parent,
    )
    for (const e of spec.events ?? []) span.addEvent(e.name, e.attributes ?? {}, e.at)
    if (spec.exception) span.recordException(spec.exception, spec.end)
    if (spec.error !== undefined) span.setStatus({ code: 2, message: spec.error })
    const ctx = trace.setSpan(parent, span)
    for (const c of spec.children ?? []) emit(c, ctx)
    span.end(spec.end)
    return span
  }
  for (const r of roots) traceIds.push(emit(r, ROOT_CONTEXT).spanContext().traceId)
  // A refused export rejects the flush; the result code below is what tests read.
  await provider.forceFlush().catch(() => {})
  await provider.shutdown().catch(() => {})
  const failed = results.find((r) => r.code !== 0)
  return { code: failed?.code ?? 0, error: failed?.error, traceIds }
}

/**
 * A tracer provider exporting through the real exporter, for producers that take a tracer
 * (the AI SDK's OpenTelemetry integration). `flush` exports what ended and shuts down.
 */
export function pipeline(wire: Wire, url: string, headers: Record<string, string> = {}) {
  const options = { url, headers, compression: 'none' } as const
  const exporter = (
    wire === 'proto' ? new ProtoExporter(options as never) : new JsonExporter(options as never)
  ) as SpanExporter
  const results: { code: number }[] = []
  const recording: SpanExporter = {
    export: (spans, done) =>
      exporter.export(spans, (r) => {
        results.push(r)
        done(r)
      }),
    shutdown: () => exporter.shutdown(),
  }
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'otlp-test' }),
    spanProcessors: [new BatchSpanProcessor({ exporter: recording })],
  })
  return {
    tracer: provider.getTracer('ai-sdk-test'),
    async flush(): Promise<number> {
      await provider.forceFlush().catch(() => {})
      await provider.shutdown().catch(() => {})
      return results.find((r) => r.code !== 0)?.code ?? (results.length > 0 ? 0 : -1)
    },
  }
}

/** A loopback receiver that records what the exporters send. */
export function captureServer() {
  const received: { headers: Headers; body: Uint8Array; path: string }[] = []
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      received.push({
        headers: req.headers,
        body: new Uint8Array(await req.arrayBuffer()),
        path: new URL(req.url).pathname,
      })
      return new Response('{}', { headers: { 'content-type': 'application/json' } })
    },
  })
  return { url: `http://127.0.0.1:${server.port}/v1/traces`, received, stop: () => server.stop(true) }
}
