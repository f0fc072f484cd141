/**
 * GET /health: `{status, db_ok, buffer_usage}`; 503 when the writer cannot take the write
 * lock within two seconds (a full disk, a stuck lock, a dead writer) or the main
 * connection cannot read. GET /metrics: Prometheus text format.
 */
import { Elysia } from 'elysia'
import type { Services } from '../services'

const HEALTH_TIMEOUT_MS = 2000

async function writerOk(s: Services): Promise<boolean> {
  let timer: Timer | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), HEALTH_TIMEOUT_MS)
  })
  try {
    return await Promise.race([
      s.writer.run('ping', {}).then(
        () => true,
        () => false,
      ),
      timeout,
    ])
  } finally {
    clearTimeout(timer)
  }
}

function readerOk(s: Services): boolean {
  try {
    s.db.query('SELECT 1').get()
    return true
  } catch {
    return false
  }
}

export function opsRoutes(s: Services) {
  return new Elysia({ name: 'ops' })
    .get('/health', async () => {
      const dbOk = readerOk(s) && (await writerOk(s))
      const ok = dbOk && !s.draining.value
      const body = {
        status: ok ? 'ok' : s.draining.value ? 'draining' : 'degraded',
        db_ok: dbOk,
        buffer_usage: s.queue.depth / s.queue.capacity,
      }
      return new Response(JSON.stringify(body), {
        status: ok ? 200 : 503,
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      })
    })
    .get(
      '/metrics',
      () =>
        new Response(s.metrics.registry.render(), {
          headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
        }),
    )
}
