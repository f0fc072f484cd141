/**
 * The LLM setup snippets of a project, pure: bloop's address and the project's ingest key
 * go in, text comes out. Two roads need no bloop SDK: the proxy (point the OpenAI or
 * Anthropic client's base URL at bloop, the project named by `X-Bloop-Key`; README "LLM
 * proxy") and an OpenTelemetry exporter (README "Sending OpenTelemetry traces").
 */

export interface LlmSnippet {
  id: string
  label: string
  install?: string
  code: string
}

const q = (s: string) => JSON.stringify(s)

export function llmSnippets(origin: string, key: string): LlmSnippet[] {
  return [
    {
      id: 'openai',
      label: 'OpenAI (proxy)',
      install: 'npm install openai',
      code: `import OpenAI from 'openai'

// Every call is traced by bloop; the provider key goes to OpenAI as before.
const openai = new OpenAI({
  baseURL: ${q(`${origin}/v1/proxy/openai`)},
  apiKey: process.env.OPENAI_API_KEY,
  defaultHeaders: { 'X-Bloop-Key': ${q(key)} },
})`,
    },
    {
      id: 'anthropic',
      label: 'Anthropic (proxy)',
      install: 'npm install @anthropic-ai/sdk',
      code: `import Anthropic from '@anthropic-ai/sdk'

// The base URL has no /v1: the SDK adds it.
const anthropic = new Anthropic({
  baseURL: ${q(`${origin}/v1/proxy/anthropic`)},
  apiKey: process.env.ANTHROPIC_API_KEY,
  defaultHeaders: { 'X-Bloop-Key': ${q(key)} },
})`,
    },
    {
      id: 'python',
      label: 'Python (proxy)',
      install: 'pip install openai',
      code: `from openai import OpenAI

client = OpenAI(
    base_url=${q(`${origin}/v1/proxy/openai`)},
    default_headers={"X-Bloop-Key": ${q(key)}},
)`,
    },
    {
      id: 'otel',
      label: 'OpenTelemetry',
      install: 'any OTLP/HTTP exporter (protobuf or JSON), e.g. with the GenAI instrumentations',
      code: `export OTEL_EXPORTER_OTLP_ENDPOINT=${origin}/otlp
export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf
export OTEL_EXPORTER_OTLP_HEADERS="X-Bloop-Key=${key}"`,
    },
    {
      id: 'otel-js',
      label: 'OpenTelemetry (JS)',
      install: 'npm install @opentelemetry/sdk-trace @opentelemetry/exporter-trace-otlp-proto',
      code: `import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'

const exporter = new OTLPTraceExporter({
  url: ${q(`${origin}/otlp/v1/traces`)},
  headers: { 'X-Bloop-Key': ${q(key)} },
})
// A tracer provider of its own for the LLM spans (docs/llm-otlp.md, "Known limits").
export const provider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter })] })`,
    },
  ]
}
