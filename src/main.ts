#!/usr/bin/env bun
/**
 * Process entry: `bloop [serve] [--config path]` and the other CLI commands. Loads config,
 * opens storage, migrates, starts the writer, listens, and drains on SIGTERM (see
 * server.ts). Everything else lives in the feature folders.
 */
import { runCli } from './cli/run'

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(
      `${JSON.stringify({ ts: new Date().toISOString(), level: 'error', msg: 'fatal', error: String(err?.stack ?? err) })}\n`,
    )
    process.exit(1)
  },
)
