/**
 * Work the proxy does beside the bytes, not in front of them: reading a stream's events,
 * noting how it ended, building and queueing its trace. A proxied chunk is passed on at
 * once; what is learnt from it waits here, in arrival order, and runs in one batch on the
 * next turn of the event loop (`setImmediate`), after the I/O already waiting. With many
 * streams whose chunks arrive together (200 streams of one model answer in step), the
 * last chunk of such a burst then waits for the others' forwarding only, not for their
 * parsing and recording too (docs/benchmarks.md, "LLM proxy").
 *
 * Order is kept: thunks run in the order they were given, so a stream's events are read
 * before its end is reported. A thunk added while the batch runs goes to the next batch,
 * so a batch is bounded by what was waiting when it began. The thunks given here catch
 * their own failures (relay.ts, handler.ts); one that did not is reported to `onFailure`
 * (the proxy's logger, set by routes.ts) and does not stop the rest of its batch.
 */

type Thunk = () => void

let queue: Thunk[] = []
let scheduled = false
let report: (err: unknown) => void = () => {}

/**
 * Where a thunk's uncaught failure goes. One per process, as the queue is: with several
 * servers in one process (the tests), the last one started reports.
 */
export function onFailure(fn: (err: unknown) => void): void {
  report = fn
}

function drain(): void {
  scheduled = false
  const batch = queue
  queue = []
  for (const run of batch) {
    try {
      run()
    } catch (err) {
      report(err)
    }
  }
}

/** Runs `run` after the I/O waiting now, in order with every other deferred thunk. */
export function later(run: Thunk): void {
  queue.push(run)
  if (!scheduled) {
    scheduled = true
    setImmediate(drain)
  }
}
