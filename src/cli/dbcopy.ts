/**
 * `bloop db copy --to postgres://...`: the configured SQLite database into an empty
 * PostgreSQL database (storage/copy.ts has the guarantees: resumable, verified). It takes
 * the data directory's server lock, so it refuses to run beside a running server, whose
 * writes would otherwise be half copied. Progress goes to stderr (a bar rewritten in place
 * on a terminal, a line every few seconds otherwise), the summary to stdout.
 *
 * The composition root knows the features, so the two things only they know are stated
 * here: the LLM search index is rebuilt from traces and spans (SQLite's contentless fts5
 * table cannot be read back), and the errors fold's watermark row is the source's.
 */
import { loadConfig } from '../config/load'
import { dataDirOf } from '../config/secret'
import { type Command, CommandFailed, requireString, UsageError } from '../core/command'
import { MIGRATIONS } from '../features'
import { type CopyPlan, type CopyProgress, CopyRefused, copyDatabase } from '../storage/copy'
import { acquireServeLock } from '../storage/lock'
import { migrate, migratePostgres } from '../storage/migrate'
import { openPostgres, openStorage, requireExistingDatabase } from '../storage/open'

/** Mirrors what the LLM writer indexes per trace (src/llm/write/commit.ts, indexForSearch). */
const LLM_SEARCH_REBUILD = `
INSERT INTO llm_search (rowid, name, span_names, errors, content)
SELECT t.seq,
  t.id || E'\\n' || t.name,
  coalesce((SELECT string_agg(concat_ws(' ', nullif(s.name, ''), nullif(s.model, ''), nullif(s.provider, '')), E'\\n' ORDER BY s.seq)
            FROM llm_spans s WHERE s.project_id = t.project_id AND s.trace_id = t.id), ''),
  coalesce((SELECT string_agg(s.error_message, E'\\n' ORDER BY s.seq)
            FROM llm_spans s WHERE s.project_id = t.project_id AND s.trace_id = t.id AND coalesce(s.error_message, '') <> ''), ''),
  left(concat_ws(E'\\n', nullif(t.input, ''), nullif(t.output, ''),
    (SELECT string_agg(concat_ws(E'\\n', nullif(s.input, ''), nullif(s.output, '')), E'\\n' ORDER BY s.seq)
     FROM llm_spans s WHERE s.project_id = t.project_id AND s.trace_id = t.id
       AND (coalesce(s.input, '') <> '' OR coalesce(s.output, '') <> ''))), 32768)
FROM llm_traces t`

export const COPY_PLAN: CopyPlan = {
  derived: [{ table: 'llm_search', rebuild: LLM_SEARCH_REBUILD }],
  // The fold's watermark row is written by its migration; the source's says how far its
  // tags and users are counted.
  seeded: ['errors_fold'],
  // None left: a span's partition key (`received_at`, its trace's receive time) is stored
  // on SQLite too since the LLM migration 202612030100_llm_span_received_at.
  computed: {},
}

const BAR = 30

function progressLine(p: CopyProgress): string {
  const share = p.total > 0 ? Math.min(1, p.done / p.total) : 1
  const filled = Math.round(share * BAR)
  const bar = `${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}`
  return `copy: [${bar}] ${Math.floor(share * 100)}% ${p.done.toLocaleString('en')} of ${p.total.toLocaleString('en')} rows (${p.table})`
}

export const dbCopyCommand: Command = {
  path: ['db', 'copy'],
  usage: 'bloop db copy --to <postgres://user:password@host/db> [--batch-rows n (5000)] [--config path]',
  summary:
    'Copy the SQLite database into an empty PostgreSQL database, verifying row counts; run it again to continue a stopped copy. Stop the server first.',
  options: { to: { type: 'string' }, 'batch-rows': { type: 'string' } },
  async run(ctx) {
    const url = requireString(ctx.values, 'to')
    if (!/^postgres(ql)?:\/\//.test(url)) throw new UsageError('--to must be a postgres:// URL')
    const batchRaw = ctx.values['batch-rows']
    const batchRows = batchRaw === undefined ? 5000 : Number(batchRaw)
    if (!Number.isInteger(batchRows) || batchRows < 1 || batchRows > 100_000)
      throw new UsageError('--batch-rows must be an integer from 1 to 100000')
    const config = loadConfig({ path: ctx.configPath })
    requireExistingDatabase(config.database.path)
    const lock = acquireServeLock(dataDirOf(config))
    const src = openStorage(config.database.path)
    try {
      migrate(src, MIGRATIONS)
      const dst = await openPostgres({ ...config.database, url })
      try {
        await migratePostgres(dst, MIGRATIONS)
        const tty = process.stderr.isTTY === true
        let lastLine = 0
        const report = await copyDatabase(src, dst, COPY_PLAN, {
          batchRows,
          onProgress: (p) => {
            if (tty) return void process.stderr.write(`\r${progressLine(p)}\u001b[K`)
            const now = Date.now()
            if (now - lastLine < 2000 && p.done < p.total) return
            lastLine = now
            ctx.err(progressLine(p))
          },
        })
        if (tty) process.stderr.write('\r\u001b[K')
        ctx.err(
          `copy: ${report.rows} rows in ${report.tables.length} tables in ${report.ms} ms${report.resumed ? ' (continued)' : ''}; every table's row count matches`,
        )
        for (const t of report.tables) ctx.out(`${t.table}\t${t.rows}`)
      } catch (err) {
        if (err instanceof CopyRefused) throw new CommandFailed(err.message)
        throw err
      } finally {
        await dst.close()
      }
    } finally {
      src.close()
      lock.release()
    }
    return 0
  },
}
