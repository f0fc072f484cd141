/**
 * OTLP import, the CPU part: decoding an exporter's request (protobuf and JSON) and mapping
 * it to checked traces, against the baseline of the same spans sent as bloop's own trace
 * contract (JSON.parse + parseTrace). The bytes are what the real JS exporters send: 512
 * GenAI chat spans (the batch processor's default batch), 8 traces of 64 spans.
 *
 *   bun bench/otlp.bench.ts
 */
import { gunzipSync } from 'node:zlib'
import { testConfig } from '../src/config/load'
import { parseTrace } from '../src/llm/ingest/contract'
import { decodeJson, decodeProtobuf } from '../src/llm/otlp/decode'
import { mapTraces } from '../src/llm/otlp/map'
import { traceInputs } from '../src/llm/otlp/routes'
import { captureServer, exportSpans, type SpanSpec } from '../test/llm.otlp.helpers'

const limits = testConfig().llm_tracing
const T0 = 1_760_000_000_000
const span = (i: number): SpanSpec => ({
  name: 'chat gpt-4o',
  start: T0 + i,
  end: T0 + i + 900,
  attributes: {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.response.model': 'gpt-4o-2024-08-06',
    'gen_ai.usage.input_tokens': 1200 + i,
    'gen_ai.usage.output_tokens': 300,
    'gen_ai.usage.cache_read.input_tokens': 1000,
    'gen_ai.input.messages': JSON.stringify([
      { role: 'user', parts: [{ type: 'text', content: `question ${i}` }] },
    ]),
    'gen_ai.output.messages': JSON.stringify([
      { role: 'assistant', parts: [{ type: 'text', content: 'answer' }] },
    ]),
    'server.address': 'api.openai.com',
  },
})
const roots: SpanSpec[] = Array.from({ length: 8 }, (_, t) => ({
  name: `agent ${t}`,
  start: T0,
  end: T0 + 100_000,
  children: Array.from({ length: 63 }, (_, i) => span(t * 64 + i)),
}))

async function capture(wire: 'proto' | 'json'): Promise<Uint8Array> {
  const c = captureServer()
  await exportSpans(wire, c.url, roots, { batchSize: 512 })
  c.stop()
  const r = c.received[0]
  if (!r || c.received.length !== 1) throw new Error(`expected one export request, got ${c.received.length}`)
  return r.headers.get('content-encoding') === 'gzip' ? gunzipSync(r.body) : r.body
}

function time(label: string, spans: number, bytes: number, fn: () => void): number {
  for (let i = 0; i < 20; i++) fn()
  const runs = 200
  const start = performance.now()
  for (let i = 0; i < runs; i++) fn()
  const ms = (performance.now() - start) / runs
  console.log(
    `${label.padEnd(44)} ${ms.toFixed(3).padStart(8)} ms/request  ${((ms * 1000) / spans).toFixed(2).padStart(7)} us/span  ${(bytes / 1024).toFixed(0).padStart(5)} KiB`,
  )
  return ms
}

const proto = await capture('proto')
const json = await capture('json')
const spans = decodeProtobuf(proto).spans
if (spans.length !== 512) throw new Error(`expected 512 spans, got ${spans.length}`)
// The baseline: the same traces as the SDK contract's JSON, parsed and checked.
const contract = JSON.stringify(mapTraces(spans, limits.max_spans_per_trace))
const contractBytes = Buffer.byteLength(contract)

console.log(`512 spans in 8 traces; ${navigator.hardwareConcurrency} cores`)
const base = time('baseline: SDK contract JSON.parse + parseTrace', 512, contractBytes, () => {
  for (const t of JSON.parse(contract) as unknown[]) parseTrace(t, limits)
})
const p = time('OTLP protobuf: decode + map + parseTrace', 512, proto.byteLength, () => {
  traceInputs(decodeProtobuf(proto).spans, limits)
})
const j = time('OTLP JSON: JSON.parse + decode + map + parseTrace', 512, json.byteLength, () => {
  traceInputs(decodeJson(JSON.parse(new TextDecoder().decode(json))).spans, limits)
})
console.log(`protobuf / baseline ${(p / base).toFixed(2)}x, JSON / baseline ${(j / base).toFixed(2)}x`)
