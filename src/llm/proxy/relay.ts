/**
 * The response body on its way from the upstream to the client. Each chunk is passed on
 * as it arrives (nothing waits for the whole response) and read on the side, after it
 * has been passed on: what is learnt from the bytes is read on the next turn of the
 * event loop (later.ts), so the chunks of other streams waiting in the same burst go out
 * first.
 *
 * - An event stream goes through `eventsource-parser`, fed the decoded text in arrival
 *   order, so an event split across chunks, or a UTF-8 character split across chunks
 *   (TextDecoder in stream mode), is read whole. The first event carrying content marks
 *   the time to first token: the time its bytes arrived and were passed on.
 * - When the proxy asked for usage the client did not (providers/openai.ts), chunks are
 *   cut at event boundaries instead and every event except that usage chunk is passed on
 *   with its bytes unchanged. Boundaries are blank lines, found in the bytes: a line
 *   break byte never occurs inside a UTF-8 character, so each event is complete text.
 *   Only an event that may be the usage chunk (`mayBeUsageChunk`, a test on the bytes)
 *   is read before it is passed on; the others are read after.
 * - Any other body is copied aside up to `collectLimit` bytes for parsing at the end.
 *
 * The stream is pulled by the client: a slow reader slows the upstream read (no queue
 * grows in between). A client that goes away cancels the stream, which aborts the
 * upstream request. An upstream that breaks off, or sends nothing for `idleMs`, ends the
 * client's stream with an error rather than a clean end, so the client does not mistake
 * a cut answer for a whole one. `ended` resolves once, with how it ended, after every
 * byte before the end has been read.
 */
import { createParser, type EventSourceParser } from 'eventsource-parser'
import type { ResponseCapture } from './capture'
import { later } from './later'

type Read = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>

export type EndReason = 'complete' | 'client_closed' | 'upstream_failed' | 'idle_timeout'

export interface RelayEnd {
  reason: EndReason
  detail: string | null
  /** performance.now() times; null when it never happened. */
  firstByteAt: number | null
  firstContentAt: number | null
  endedAt: number
  bytes: number
  /** A non-stream body as received, when within the limit; null otherwise. */
  collected: Uint8Array | null
}

export interface RelayOptions {
  body: ReadableStream<Uint8Array> | null
  /** Parse as an event stream, feeding `capture`. */
  sse: boolean
  /** Remove the events `capture` marks as dropped (event-aligned forwarding). */
  filter: boolean
  capture: ResponseCapture | null
  collectLimit: number
  idleMs: number
  /** Aborts the upstream request. */
  abort: (reason: string) => void
  clock: () => number
}

export function relay(o: RelayOptions): {
  stream: ReadableStream<Uint8Array> | null
  ended: Promise<RelayEnd>
} {
  let settle!: (e: RelayEnd) => void
  const ended = new Promise<RelayEnd>((resolve) => {
    settle = resolve
  })
  let firstByteAt: number | null = null
  let firstContentAt: number | null = null
  let bytes = 0
  let finished = false
  const chunks: Uint8Array[] = []
  let collecting = !o.sse

  let dropCurrent = false
  /** When the bytes being read arrived (and were passed on): the time of a first token. */
  let arrivedAt = 0
  const parser: EventSourceParser | null =
    o.sse && o.capture
      ? createParser({
          onEvent: (event) => {
            const verdict = (o.capture as ResponseCapture).event(event)
            if (verdict.content && firstContentAt === null) firstContentAt = arrivedAt
            if (verdict.drop) dropCurrent = true
          },
        })
      : null
  const decoder = new TextDecoder()
  const splitter = o.filter && parser ? new EventSplitter() : null

  // Bytes passed on but not yet read: read in arrival order on the next turn of the event
  // loop (later.ts), or at once when an event must be judged before it is passed on.
  // `null` is the end of a chunk stream (the decoder's last bytes).
  let unread: { bytes: Uint8Array | null; at: number }[] = []
  let readScheduled = false
  const readUnread = () => {
    readScheduled = false
    const batch = unread
    unread = []
    for (const u of batch) {
      arrivedAt = u.at
      // Events cut by the splitter are whole text; chunks may end inside a character.
      const text = splitter
        ? decoder.decode(u.bytes as Uint8Array)
        : u.bytes === null
          ? decoder.decode()
          : decoder.decode(u.bytes, { stream: true })
      parser?.feed(text)
    }
  }
  const readLater = (b: Uint8Array | null, at: number) => {
    if (!parser) return
    unread.push({ bytes: b, at })
    if (!readScheduled) {
      readScheduled = true
      later(readUnread)
    }
  }

  // The end is known at once (a second end is ignored) and reported once every byte
  // before it has been read, so the capture is whole when `ended` resolves.
  const finish = (reason: EndReason, detail: string | null = null) => {
    if (finished) return
    finished = true
    stopWatching()
    const endedAt = o.clock()
    const collected = collecting ? concat(chunks, bytes) : null
    later(() => {
      readUnread()
      settle({ reason, detail, firstByteAt, firstContentAt, endedAt, bytes, collected })
    })
  }
  if (!o.body) {
    finish('complete')
    return { stream: null, ended }
  }

  const reader = o.body.getReader()
  // One timer per stream, not one per read: it wakes when the wait for the upstream could
  // have run out, and sleeps again for the rest when a chunk came in the meantime. Only
  // time spent waiting for the upstream counts: a client that is slow to read is not an
  // idle upstream. Running out cancels the pending read (it then resolves as done), so a
  // read is a plain `reader.read()`: no promise race allocated per chunk.
  let readSince = 0
  let waiting = false
  let idled = false
  let timer: ReturnType<typeof setTimeout> | null = null
  const watch = (ms: number) => {
    timer = setTimeout(() => {
      timer = null
      if (!waiting) return
      const waited = o.clock() - readSince
      if (waited < o.idleMs) return watch(o.idleMs - waited)
      idled = true
      reader.cancel().catch(() => {})
    }, ms)
  }
  function stopWatching() {
    if (timer) clearTimeout(timer)
    timer = null
  }
  const read = async (): Promise<Read> => {
    readSince = o.clock()
    waiting = true
    if (!timer) watch(o.idleMs)
    try {
      return await reader.read()
    } finally {
      waiting = false
    }
  }
  const idleOut = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    const detail = `the upstream sent nothing for ${o.idleMs / 1000} s`
    finish('idle_timeout', detail)
    o.abort(detail)
    controller.error(new Error(detail))
  }

  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        // Loops until something is passed on: a chunk holding only part of an event, or
        // only a dropped event, gives the client nothing yet.
        for (;;) {
          let r: Read
          try {
            r = await read()
          } catch (err) {
            if (finished) return
            if (idled) return idleOut(controller)
            const message = (err as Error)?.message ?? String(err)
            finish('upstream_failed', `the upstream connection failed mid-response: ${message}`)
            controller.error(err)
            return
          }
          if (idled) return idleOut(controller)
          const at = o.clock()
          if (r.done) {
            const rest = splitter?.rest()
            if (rest) controller.enqueue(rest)
            if (splitter) {
              if (rest) readLater(rest, at)
            } else readLater(null, at)
            finish('complete')
            controller.close()
            return
          }
          const chunk = r.value
          firstByteAt ??= at
          bytes += chunk.byteLength
          if (collecting) {
            if (bytes <= o.collectLimit) chunks.push(chunk)
            else {
              collecting = false
              chunks.length = 0
            }
          }
          if (!splitter) {
            controller.enqueue(chunk)
            readLater(chunk, at)
            return
          }
          let passed = false
          for (const event of splitter.push(chunk)) {
            if (!mayBeUsageChunk(event)) {
              controller.enqueue(event)
              readLater(event, at)
              passed = true
              continue
            }
            // Judged before it is passed on: it may be the usage chunk the client must not see.
            readUnread()
            dropCurrent = false
            unread.push({ bytes: event, at })
            readUnread()
            if (!dropCurrent) {
              controller.enqueue(event)
              passed = true
            }
          }
          if (passed) return
        }
      },
      cancel(reason) {
        finish('client_closed', 'the client closed the connection before the response ended')
        o.abort(typeof reason === 'string' ? reason : 'client closed the connection')
        reader.cancel(reason).catch(() => {})
      },
    },
    { highWaterMark: 0 },
  )
  return { stream, ended }
}

const USAGE = new TextEncoder().encode('"usage"')

/**
 * Whether an event may be the usage-only chunk that is removed (providers/openai.ts drops
 * a chunk only when its `usage` is not null). Decided on the bytes, without parsing: an
 * event where every `"usage"` is followed by `: null` (every chunk but the last, once the
 * proxy asked for usage), or that has none, cannot be it, and is passed on before it is
 * read. Anything else, a `"usage"` text inside a string included, is parsed first: the
 * test may say "maybe" wrongly, never "no". A plain loop over the bytes: a Buffer view
 * per event cost more than the scan.
 */
export function mayBeUsageChunk(b: Uint8Array): boolean {
  const n = b.length
  outer: for (let at = 0; at + USAGE.length <= n; at++) {
    if (b[at] !== QUOTE) continue
    for (let k = 1; k < USAGE.length; k++) if (b[at + k] !== USAGE[k]) continue outer
    let i = at + USAGE.length
    while (isSpace(b[i])) i++
    if (b[i] !== COLON) return true
    i++
    while (isSpace(b[i])) i++
    if (!(b[i] === N && b[i + 1] === U && b[i + 2] === L && b[i + 3] === L)) return true
    at = i + 3
  }
  return false
}

const QUOTE = 0x22
const isSpace = (c: number | undefined) => c === 0x20 || c === 0x09 || c === CR || c === LF
const COLON = 0x3a
const N = 0x6e
const U = 0x75
const L = 0x6c

/**
 * Cuts a byte stream into SSE events: each ends with an empty line, that is two line
 * breaks in a row (`\n`, `\r\n` or `\r`, as the WHATWG event-stream format allows). Only
 * complete events come out, each with its own bytes; `rest` gives what is left at the end.
 */
export class EventSplitter {
  private pending: Uint8Array = new Uint8Array(0)
  /** Where scanning resumes in `pending`, and whether that is the start of a line. */
  private at = 0
  private lineStart = true

  push(chunk: Uint8Array): Uint8Array[] {
    const p = this.pending.byteLength === 0 ? chunk : concat([this.pending, chunk])
    const out: Uint8Array[] = []
    let start = 0
    let i = this.at
    let lineStart = this.lineStart
    while (i < p.length) {
      const b = p[i]
      if (b !== CR && b !== LF) {
        lineStart = false
        i++
        continue
      }
      let end = i + 1
      if (b === CR) {
        // A CR at the end of the bytes so far may be the first half of a CRLF: wait for the next.
        if (end >= p.length) break
        if (p[end] === LF) end++
      }
      if (lineStart) {
        out.push(p.subarray(start, end))
        start = end
      }
      lineStart = true
      i = end
    }
    this.pending = p.subarray(start)
    this.at = i - start
    this.lineStart = lineStart
    return out
  }

  rest(): Uint8Array | null {
    return this.pending.byteLength > 0 ? this.pending : null
  }
}

const CR = 0x0d
const LF = 0x0a

function concat(chunks: Uint8Array[], total = chunks.reduce((n, c) => n + c.byteLength, 0)): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}
