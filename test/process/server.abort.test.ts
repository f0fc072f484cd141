/**
 * A client that goes away mid-request is not a server fault. A real server process gets
 * requests whose clients send the headers and part of the body, then close the socket;
 * its log must hold no error-level line for them, only a debug line saying so.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { openDatabase } from '../../src/storage/db'
import { SqliteBackend } from '../../src/storage/sqlite'
import { createToken } from '../../src/tokens/store'
import { tempDir } from '../helpers'
import { type ServerProcess, spawnServer } from '../process'

let dir: string
let server: ServerProcess
let token: string

beforeAll(async () => {
  dir = tempDir('bloop-abort-')
  server = await spawnServer({
    dir,
    env: { BLOOP__LOG__LEVEL: 'debug', BLOOP__ANALYTICS__ENABLED: 'false' },
  })
  const db = openDatabase(join(dir, 'bloop.db'))
  token = (
    await createToken(new SqliteBackend(db), {
      projectId: 'default',
      name: 'abort',
      scopes: ['alerts:write', 'sourcemaps:write'],
    })
  ).token
  db.close()
})

afterAll(async () => {
  server?.proc.kill('SIGTERM')
  await server?.exited
  rmSync(dir, { recursive: true, force: true })
})

/** Sends `head` and the start of a body, waits until the server is reading it, then closes the socket. */
function sendHalfAndClose(head: string, part: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connect(server.port, '127.0.0.1', () => {
      sock.write(head + part)
      setTimeout(() => {
        sock.destroy()
        resolve()
      }, 200)
    })
    sock.on('error', reject)
  })
}

const lines = () => server.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))

async function until(what: string, probe: () => boolean, ms = 10_000): Promise<void> {
  const end = performance.now() + ms
  while (!probe()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}:\n${server.lines.join('\n')}`)
    await Bun.sleep(20)
  }
}

describe('a client closing its connection before the body is sent', () => {
  test('is logged at debug with its own message, never as an error', async () => {
    const requests = [
      // body of a declared length, signed ingest
      `POST /v1/ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Signature: ab\r\nContent-Length: 1000\r\n\r\n`,
      // a chunked body (no declared length), read chunk by chunk
      `POST /v1/ingest/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Signature: ab\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n`,
      // an authenticated JSON route
      `POST /v1/alerts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer ${token}\r\nContent-Length: 5000\r\n\r\n`,
      // the Sentry envelope endpoint
      'POST /api/1/envelope/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-sentry-envelope\r\nContent-Length: 3000\r\n\r\n',
      // a multipart source map upload
      `POST /v1/projects/default/sourcemaps HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 90000\r\n\r\n`,
    ]
    for (const head of requests) await sendHalfAndClose(head, '{"source":"api",')
    const closed = () =>
      lines().filter((l) => l.msg === 'client closed the connection before the request was read')
    await until('a debug line per closed request', () => closed().length === requests.length)
    expect(closed().map((l) => [l.level, l.method, l.path])).toEqual([
      ['debug', 'POST', '/v1/ingest'],
      ['debug', 'POST', '/v1/ingest/batch'],
      ['debug', 'POST', '/v1/alerts'],
      ['debug', 'POST', '/api/1/envelope/'],
      ['debug', 'POST', '/v1/projects/default/sourcemaps'],
    ])
    expect(lines().filter((l) => l.level === 'error')).toEqual([])
    // Nor is it counted as a server error in the request log.
    expect(lines().filter((l) => l.msg === 'request' && l.status >= 500)).toEqual([])
  })
})
