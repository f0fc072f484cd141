/**
 * `bloop backup <file>`: a consistent copy of the database, taken while the server runs
 * and ingests (storage/backup.ts has the guarantees). Progress goes to stderr (rewritten
 * in place on a terminal, a line every few seconds otherwise), the file name to stdout.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../config/load'
import { dataDirOf, SECRET_FILE } from '../config/secret'
import type { Command } from '../core/command'
import { type BackupProgress, backupDatabase } from '../storage/backup'
import { requireExistingDatabase } from '../storage/open'

const mb = (n: number) => `${(n / 1_048_576).toFixed(1)} MB`

function progressLine(p: BackupProgress): string {
  const pct = p.estimate > 0 ? Math.min(99, Math.floor((100 * p.written) / p.estimate)) : 0
  return `backup: ${mb(p.written)} of about ${mb(p.estimate)} (${pct}%)`
}

export const backupCommand: Command = {
  path: ['backup'],
  usage: 'bloop backup <file> [--force] [--config path]',
  summary:
    'Write a consistent copy of the database to <file> (mode 0600) while the server runs; --force replaces an existing file.',
  options: { force: { type: 'boolean' } },
  args: ['file'],
  async run(ctx) {
    const config = loadConfig({ path: ctx.configPath })
    requireExistingDatabase(config.database.path)
    const target = ctx.positionals[0] as string
    const tty = process.stderr.isTTY === true
    let lastLine = 0
    const result = await backupDatabase(config.database.path, target, {
      force: ctx.values.force === true,
      onProgress: (p) => {
        if (tty) return void process.stderr.write(`\r${progressLine(p)}\u001b[K`)
        const now = Date.now()
        if (now - lastLine < 2000) return
        lastLine = now
        ctx.err(progressLine(p))
      },
    })
    if (tty) process.stderr.write('\r\u001b[K')
    ctx.err(
      `backup: wrote ${mb(result.bytes)} with ${result.events} raw events in ${result.ms} ms; integrity check ok`,
    )
    const secretFile = join(dataDirOf(config), SECRET_FILE)
    if (config.auth.hmac_secret === '' && existsSync(secretFile)) {
      ctx.err(`backup: keep ${secretFile} too: the default project's key is that secret`)
    }
    ctx.out(result.target)
    return 0
  },
}
