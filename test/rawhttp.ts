/**
 * Raw HTTP/1.1 over a TCP socket, for requests `fetch` will not send: a chosen (or empty)
 * Host header, a chosen source address on the loopback network (127.0.0.2 is another
 * client to a server on 127.0.0.1). One keep-alive connection, one request at a time;
 * responses must carry Content-Length (bloop's JSON responses do).
 */
import { connect, type Socket } from 'node:net'

export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

export interface RawRequest {
  method: string
  path: string
  /** The Host header's value; null sends none. */
  host: string | null
  headers?: Record<string, string>
  body?: string
}

export function requestText(r: RawRequest): string {
  const lines = [`${r.method} ${r.path} HTTP/1.1`]
  if (r.host !== null) lines.push(`Host: ${r.host}`)
  for (const [k, v] of Object.entries(r.headers ?? {})) lines.push(`${k}: ${v}`)
  const body = r.body ?? ''
  if (r.body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`)
  return `${lines.join('\r\n')}\r\n\r\n${body}`
}

export class RawConnection {
  private buffer = Buffer.alloc(0)
  private waiting: { resolve: (r: RawResponse) => void; reject: (e: Error) => void } | null = null

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk])
      this.deliver()
    })
    const fail = (e: Error) => {
      this.waiting?.reject(e)
      this.waiting = null
    }
    socket.on('error', fail)
    socket.on('close', () => fail(new Error('connection closed before a full response')))
  }

  static open(port: number, opts: { localAddress?: string } = {}): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', localAddress: opts.localAddress }, () =>
        resolve(new RawConnection(socket)),
      )
      socket.once('error', reject)
    })
  }

  send(r: RawRequest): Promise<RawResponse> {
    if (this.waiting) throw new Error('expected one request at a time on a raw connection')
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject }
      this.socket.write(requestText(r))
    })
  }

  close(): void {
    this.socket.destroy()
  }

  private deliver(): void {
    const end = this.buffer.indexOf('\r\n\r\n')
    if (end < 0 || !this.waiting) return
    const [statusLine = '', ...headerLines] = this.buffer.subarray(0, end).toString('latin1').split('\r\n')
    const headers: Record<string, string> = {}
    for (const line of headerLines) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    const length = Number(headers['content-length'])
    if (!Number.isFinite(length)) throw new Error(`expected a Content-Length, got headers ${headerLines}`)
    if (this.buffer.length < end + 4 + length) return
    const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8')
    this.buffer = this.buffer.subarray(end + 4 + length)
    const w = this.waiting
    this.waiting = null
    w.resolve({ status: Number(statusLine.split(' ')[1]), headers, body })
  }
}

/** One request on its own connection. */
export async function rawRequest(port: number, r: RawRequest, localAddress?: string): Promise<RawResponse> {
  const c = await RawConnection.open(port, { localAddress })
  try {
    return await c.send(r)
  } finally {
    c.close()
  }
}
