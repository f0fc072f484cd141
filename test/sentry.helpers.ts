/** Shared by the Sentry tests: envelope building and typed reads of the query API. */
import { constants, createBrotliCompress } from 'node:zlib'

export interface Sample {
  event_id: string | null
  level: string | null
  stack: string | null
  source: string
  release: string
  environment: string
  route_or_procedure: string | null
  user_id_hash: string | null
  metadata: {
    sdk?: string
    tags?: Record<string, string>
    mechanism?: { type: string | null; handled: boolean | null }
    _truncated?: number
    [key: string]: unknown
  } | null
}

export interface IssueDetail {
  fingerprint: string
  error_type: string
  message: string
  source: string
  route_or_procedure: string | null
  total_count: number
  releases: string[]
  environments: string[]
  samples: Sample[]
}

/** Reads the one issue of `errorType` through GET /v1/errors and its detail endpoint. */
export async function issueOf(
  get: (path: string) => Promise<Response>,
  errorType: string,
): Promise<IssueDetail> {
  const list = (await (await get('/v1/errors?limit=200')).json()) as { items: IssueDetail[] }
  const found = list.items.filter((i) => i.error_type === errorType)
  if (found.length !== 1) {
    throw new Error(`expected one ${errorType} issue, got ${found.length}: ${JSON.stringify(list.items)}`)
  }
  return (await (await get(`/v1/errors/${(found[0] as IssueDetail).fingerprint}`)).json()) as IssueDetail
}

const encoder = new TextEncoder()

export interface Item {
  type: string
  payload: string | Uint8Array | object
  /** Write `length` in the item header (default true). */
  length?: boolean
  headers?: Record<string, unknown>
}

/** Serialises an envelope: a header line, then each item's header line and payload. */
export function envelope(
  headers: Record<string, unknown>,
  items: Item[],
  trailingNewline = true,
): Uint8Array {
  const parts: Uint8Array[] = [encoder.encode(JSON.stringify(headers))]
  for (const item of items) {
    const payload =
      item.payload instanceof Uint8Array
        ? item.payload
        : encoder.encode(typeof item.payload === 'string' ? item.payload : JSON.stringify(item.payload))
    const h: Record<string, unknown> = { type: item.type, ...item.headers }
    if (item.length !== false) h.length = payload.byteLength
    parts.push(encoder.encode(`\n${JSON.stringify(h)}\n`), payload)
  }
  if (trailingNewline) parts.push(encoder.encode('\n'))
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

/** A minimal Sentry error event as an SDK would send it. */
export function sentryEvent(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: crypto.randomUUID().replaceAll('-', ''),
    timestamp: 1_700_000_000.5,
    platform: 'javascript',
    level: 'error',
    release: 'app@1.0.0',
    environment: 'production',
    exception: {
      values: [
        {
          type: 'TypeError',
          value: 'x is not a function',
          stacktrace: {
            frames: [
              {
                function: 'main',
                abs_path: 'https://app.example.com/main.js',
                lineno: 10,
                colno: 3,
                in_app: true,
              },
              {
                function: 'checkout',
                abs_path: 'https://app.example.com/main.js',
                lineno: 42,
                colno: 7,
                in_app: true,
              },
            ],
          },
        },
      ],
    },
    ...over,
  }
}

let bombCache: Promise<Buffer> | null = null

/**
 * The brotli decompression bomb of the security review: 2 GiB - 1 of "a" in ~3.2 KB
 * (what `brotliCompressSync(Buffer.alloc(2 ** 31 - 1, 97))` makes, in the same window of
 * 4 MB). Compressed as a stream from one 16 MB piece so the 2 GiB never exist at once, at
 * quality 5, which makes the same few KB in a tenth of the time of the default 11
 * (~4.5 s instead of ~45 s); built once per process.
 */
export function brotliBomb(): Promise<Buffer> {
  bombCache ??= (async () => {
    const size = 2 ** 31 - 1
    const z = createBrotliCompress({
      params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: size },
    })
    const out: Buffer[] = []
    z.on('data', (c: Buffer) => out.push(c))
    const ended = new Promise((resolve, reject) => z.on('end', resolve).on('error', reject))
    const piece = Buffer.alloc(16 * 1024 * 1024, 97)
    for (let left = size; left > 0; left -= piece.length) {
      const ok = z.write(left >= piece.length ? piece : piece.subarray(0, left))
      if (!ok) await new Promise((resolve) => z.once('drain', resolve))
    }
    z.end()
    await ended
    return Buffer.concat(out)
  })()
  return bombCache
}
