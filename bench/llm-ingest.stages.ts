/**
 * The main thread's share of a trace, stage by stage, in process: JSON.parse of a 50-trace
 * batch body, the contract's parser, prepare (policy, pricing), and the JSON the writer is
 * handed. Runs this tree and, with BENCH_BASELINE=<checkout>, that one, alternated, each in
 * its own process pinned to core 1. Figures are µs per trace of the bench's 3-span traces.
 *
 *   bun bench/llm-ingest.stages.ts            BENCH_ROUNDS (default 3)
 */
import { join } from 'node:path'
import { pin, REPO } from './lib'

const root = process.argv[2]
if (root) {
  const { benchTrace } = await import(join(root, 'bench/lib.ts'))
  const { parseTrace } = await import(join(root, 'src/llm/ingest/contract.ts'))
  const { prepareTrace } = await import(join(root, 'src/llm/ingest/prepare.ts'))
  const limits = {
    max_spans_per_trace: 100,
    max_content_bytes: 65_536,
    max_payload_bytes: 1 << 20,
    max_batch_size: 50,
  }
  const bodies = Array.from({ length: 200 }, (_, k) =>
    JSON.stringify({ traces: Array.from({ length: 50 }, (_, i) => benchTrace('r', k * 50 + i)) }),
  )
  const c = {
    projectId: 'default',
    source: 'sdk',
    policy: 'none',
    overrides: [],
    now: Date.now(),
    newId: () => crypto.randomUUID(),
  }
  const stage = { parse: 0, contract: 0, prepare: 0, handoff: 0 }
  let n = 0
  for (let round = 0; round < 8; round++) {
    for (const body of bodies) {
      const t0 = performance.now()
      const list = JSON.parse(body).traces as unknown[]
      const t1 = performance.now()
      const traces = list.map((t) => {
        const r = parseTrace(t, limits)
        if (!r.ok) throw new Error(JSON.stringify(r.error))
        return r.trace
      })
      const t2 = performance.now()
      const items = traces.map((t: unknown) => prepareTrace(t, c))
      const t3 = performance.now()
      JSON.stringify({ items })
      const t4 = performance.now()
      // The first rounds warm the JIT and the price memo.
      if (round < 3) continue
      stage.parse += t1 - t0
      stage.contract += t2 - t1
      stage.prepare += t3 - t2
      stage.handoff += t4 - t3
      n += list.length
    }
  }
  const us = (ms: number) => ((ms * 1000) / n).toFixed(1)
  console.log(
    `parse ${us(stage.parse)}, contract ${us(stage.contract)}, prepare ${us(stage.prepare)}, handoff JSON ${us(stage.handoff)} µs/trace`,
  )
} else {
  const trees = [
    { name: 'this tree', repo: REPO },
    ...(process.env.BENCH_BASELINE ? [{ name: 'baseline', repo: process.env.BENCH_BASELINE }] : []),
  ]
  for (let round = 1; round <= Number(process.env.BENCH_ROUNDS ?? 3); round++)
    for (const t of trees) {
      const proc = Bun.spawn([...pin(1), process.execPath, import.meta.path, t.repo], {
        stdout: 'pipe',
        stderr: 'inherit',
      })
      const out = (await new Response(proc.stdout).text()).trim()
      await proc.exited
      console.log(`[${t.name}, round ${round}] ${out}`)
    }
}
