/**
 * The one clock the gateway reads time from. Everything whose behaviour depends on time (deadlines,
 * spool age, retry backoff, circuit-breaker cool-downs, the spool bound's re-measure, the store's
 * side poll and checkpoints, housekeeping, the obligation timer) takes a `Clock` instead of calling
 * `Date.now()` or `setTimeout` itself, so a test moves time forward instead of sleeping.
 *
 * Durations that only measure (log and metric `ms`) stay on `performance.now()`; shutdown's grace
 * timers stay on real time (they bound how long the process takes to stop).
 */
export interface Clock {
  /** milliseconds since the epoch */
  now(): number
  /**
   * Runs `fn` once, when this clock has moved `ms` on (at least 0). A pending timer never keeps the
   * process alive. A returned promise is the work the timer started (a test clock can await it).
   */
  setTimeout(fn: () => unknown, ms: number): ClockTimer
}

export interface ClockTimer {
  /** the timer does not fire (no-op once it has) */
  cancel(): void
}

/** Wall time and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms))
    t.unref()
    return { cancel: () => clearTimeout(t) }
  },
}

/**
 * Runs `fn` every `ms` on `clock` (the next run is armed when one is due, so a clock that jumps
 * ahead runs it once, not once per missed period). cancel() stops it.
 */
export function every(clock: Clock, ms: number, fn: () => unknown): ClockTimer {
  let timer: ClockTimer | undefined
  let stopped = false
  const arm = () => {
    timer = clock.setTimeout(() => {
      if (stopped) return
      arm()
      return fn()
    }, ms)
  }
  arm()
  return {
    cancel() {
      stopped = true
      timer?.cancel()
    },
  }
}
