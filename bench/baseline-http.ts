/**
 * The HTTP ceiling: a minimal Bun handler that only verifies the HMAC and parses the JSON,
 * answering like bloop's ingest. bloop's single-event ingest is compared against it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { SECRET } from './lib'

const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  async fetch(req) {
    const body = new Uint8Array(await req.arrayBuffer())
    const sig = req.headers.get('x-signature') ?? ''
    const expected = createHmac('sha256', SECRET).update(body).digest()
    if (sig.length !== 64 || !timingSafeEqual(expected, Buffer.from(sig, 'hex')))
      return new Response('no', { status: 401 })
    JSON.parse(new TextDecoder().decode(body))
    return Response.json({ status: 'accepted' })
  },
})
console.log(JSON.stringify({ msg: 'listening', port: server.port }))
