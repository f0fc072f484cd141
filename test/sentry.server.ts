/**
 * A real bloop server on port 0 for the tests that point an unmodified Sentry SDK at it
 * (test/http/sentry.sdk-node, sentry.sdk-python, test/browser/sentry.sdk-browser): the
 * project's DSN to give the SDK, and reads of the query API with an `errors:read` token.
 * Kept apart from sentry.helpers.ts, which unit tests import without a server.
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { testConfig } from '../src/config/load'
import { createLogger } from '../src/ops/log'
import { dsnFor } from '../src/sentry/store'
import { type Served, serve } from '../src/server'
import { createToken } from '../src/tokens/store'
import { TEST_SECRET, tempDir } from './helpers'
import { type IssueDetail, issueOf } from './sentry.helpers'

export interface SentryServer {
  served: Served
  /** The default project's DSN on this server. */
  dsn: string
  /** GET of the query API with the read token, once every stored event's tags and users are folded in. */
  get(path: string): Promise<Response>
  /** The one issue of that error type, with its samples (sentry.helpers.ts issueOf). */
  issue(errorType: string): Promise<IssueDetail>
  stop(): Promise<void>
}

export async function startSentryServer(name: string): Promise<SentryServer> {
  const dir = tempDir(`bloop-sentry-${name}-`)
  const served = await serve(
    testConfig({
      server: { host: '127.0.0.1', port: 0 },
      database: { path: join(dir, 'bloop.db') },
      auth: { hmac_secret: TEST_SECRET },
      log: { level: 'error' },
    }),
    { log: createLogger('error') },
  )
  const { token } = await createToken(served.runtime.core.backend, {
    projectId: 'default',
    name: 'read',
    scopes: ['errors:read'],
  })
  const dsn = (await dsnFor(
    served.runtime.core.backend,
    { id: 'default' },
    `http://127.0.0.1:${served.port}`,
  )) as string
  // Tags and users are folded in after the commit (src/errors/fold.ts): each read waits
  // for the fold of everything stored so far.
  const get = async (path: string) => {
    await served.runtime.features.errors.fold()
    return fetch(new URL(path, served.url), { headers: { authorization: `Bearer ${token}` } })
  }
  return {
    served,
    dsn,
    get,
    issue: (errorType) => issueOf(get, errorType),
    async stop() {
      await served.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
