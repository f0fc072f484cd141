/** Keeping the sample rings right when their configured size changes (writer thread, at start). */
import type { Db } from '../storage/db'

/**
 * Re-lays the sample rings when `sample_reservoir_size` changed since the last start
 * (recorded in `meta`). The k-th event of an issue belongs in slot k mod N, so a new N
 * moves samples: each issue keeps its newest min(N, count) samples, renumbered from its
 * total count, and the ring goes on overwriting the oldest.
 */
export function resizeSampleRings(db: Db, sampleSize: number): { dropped: number; moved: number } {
  return db
    .transaction(() => {
      const recorded = db
        .query<{ value: string }, []>("SELECT value FROM meta WHERE key = 'sample_reservoir_size'")
        .get()
      // Without a record (first start) renumbering is still right: it is idempotent.
      if (recorded && Number(recorded.value) === sampleSize) return { dropped: 0, moved: 0 }
      const rows = db
        .query<{ id: number; total_count: number; rank: number }, []>(
          `SELECT s.id, i.total_count,
                  row_number() OVER (PARTITION BY s.project_id, s.fingerprint ORDER BY s.raw_event_id DESC) AS rank
           FROM samples s JOIN issues i ON i.project_id = s.project_id AND i.fingerprint = s.fingerprint`,
        )
        .all()
      const drop = db.prepare('DELETE FROM samples WHERE id = ?')
      const park = db.prepare('UPDATE samples SET slot = ? WHERE id = ?')
      let dropped = 0
      const kept: { id: number; slot: number }[] = []
      for (const r of rows) {
        if (r.rank > sampleSize) {
          drop.run(r.id)
          dropped++
        } else kept.push({ id: r.id, slot: (r.total_count - r.rank) % sampleSize })
      }
      // Two steps, so no row takes a slot another row has not yet left (slots are unique).
      for (const k of kept) park.run(-1 - k.id, k.id)
      for (const k of kept) park.run(k.slot, k.id)
      db.query("INSERT OR REPLACE INTO meta (key, value) VALUES ('sample_reservoir_size', ?)").run(
        String(sampleSize),
      )
      return { dropped, moved: kept.length }
    })
    .immediate()
}
