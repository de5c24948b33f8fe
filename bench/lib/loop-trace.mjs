// Preloaded into the gateway (node --import) by `TAIL_TRACE=DIR npm run bench:ingress` (the
// PROFILE_ONLY open-loop run): records, in the main thread, every GC pause and every gap over
// GAP_MS in a 1 ms timer, with how much of the gap the thread spent on a core and how much waiting
// for one (its /proc schedstat), as epoch-ms lines in $LOOP_TRACE. bench/lib/tail-trace.ts joins
// them with the client's per-request latencies. Reading schedstat every millisecond costs the
// thread a little (a traced run's tail is longer than an untraced one's): compare traced runs only.
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs'
import { constants, PerformanceObserver } from 'node:perf_hooks'
import { isMainThread } from 'node:worker_threads'

const GAP_MS = 4
const file = process.env.LOOP_TRACE
if (isMainThread && file) {
  // one pair of clocks, so a --cpu-prof profile (monotonic µs) can be laid over the epoch-ms lines
  const lines = [`clock ${(performance.timeOrigin + performance.now()).toFixed(3)} ${(process.hrtime.bigint() / 1000n).toString()}`]
  const kinds = { [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major', [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak' }
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) lines.push(`gc ${(performance.timeOrigin + e.startTime).toFixed(1)} ${e.duration.toFixed(2)} ${kinds[e.detail?.kind] ?? 'other'}`)
  }).observe({ entryTypes: ['gc'] })
  // the main thread's task is the process's own id; schedstat: ns on a core, ns waiting on a run queue, slices
  const path = `/proc/self/task/${process.pid}/schedstat`
  const buf = Buffer.alloc(128)
  const sched = () => {
    try {
      const fd = openSync(path, 'r')
      const n = readSync(fd, buf, 0, buf.length, 0)
      closeSync(fd)
      const [cpu, wait] = buf.toString('latin1', 0, n).split(' ')
      return [Number(cpu) / 1e6, Number(wait) / 1e6]
    } catch {
      return [NaN, NaN] // not Linux
    }
  }
  let last = performance.now()
  let [cpu0, wait0] = sched()
  setInterval(() => {
    const now = performance.now()
    const [cpu1, wait1] = sched()
    if (now - last > GAP_MS) lines.push(`gap ${(performance.timeOrigin + last).toFixed(1)} ${(now - last).toFixed(2)} ${(cpu1 - cpu0).toFixed(2)} ${(wait1 - wait0).toFixed(2)}`)
    last = now
    cpu0 = cpu1
    wait0 = wait1
  }, 1).unref()
  setInterval(() => writeFileSync(file, lines.join('\n') + '\n'), 1000).unref()
}
