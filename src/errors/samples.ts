/** Keeping the sample rings right when their configured size changes (a seam task, at start). */
import { type Queryable, statementOf } from '../storage/backend'

/**
 * Re-lays the sample rings when `sample_reservoir_size` changed since the last start
 * (recorded in `meta`). The k-th event of an issue belongs in slot k mod N, so a new N
 * moves samples: each issue keeps its newest min(N, count) samples, renumbered from its
 * total count, and the ring goes on overwriting the oldest. Runs in the writer's one
 * transaction (docs/ARCHITECTURE.md, "Converting a writer task"), on either backend.
 */
export async function resizeSampleRings(
  tx: Queryable,
  sampleSize: number,
): Promise<{ dropped: number; moved: number }> {
  const recorded = await tx.get<{ value: string }>(
    "SELECT value FROM meta WHERE key = 'sample_reservoir_size'",
  )
  // Without a record (first start) renumbering is still right: it is idempotent.
  if (recorded && Number(recorded.value) === sampleSize) return { dropped: 0, moved: 0 }
  const rows = await tx.all<{ id: number; total_count: number; rank: number }>(
    `SELECT s.id, i.total_count,
            CAST(row_number() OVER (PARTITION BY s.project_id, s.fingerprint ORDER BY s.raw_event_id DESC) AS INTEGER) AS rank
     FROM samples s JOIN issues i ON i.project_id = s.project_id AND i.fingerprint = s.fingerprint`,
  )
  const dropped: number[][] = []
  const kept: { id: number; slot: number }[] = []
  for (const r of rows) {
    if (r.rank > sampleSize) dropped.push([r.id])
    else kept.push({ id: r.id, slot: (r.total_count - r.rank) % sampleSize })
  }
  await statementOf(tx, 'DELETE FROM samples WHERE id = ?').runMany(dropped, tx)
  const park = statementOf(tx, 'UPDATE samples SET slot = ? WHERE id = ?')
  // Two steps, so no row takes a slot another row has not yet left (slots are unique).
  await park.runMany(
    kept.map((k) => [-1 - k.id, k.id]),
    tx,
  )
  await park.runMany(
    kept.map((k) => [k.slot, k.id]),
    tx,
  )
  await tx.run(
    `INSERT INTO meta (key, value) VALUES ('sample_reservoir_size', ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    [String(sampleSize)],
  )
  return { dropped: dropped.length, moved: kept.length }
}
