// The one way tests wait for something asynchronous: poll a condition, with a generous timeout so a
// loaded machine (the suite twice in parallel on 2 cores) is slow, not failing. Time-dependent
// behaviour is not waited for: the test moves the injected clock (test/support/clock.ts).

/**
 * Polls `fn` every `everyMs` until it returns a value (not undefined or false), or until
 * `timeoutMs` (wall time) has passed, then throws naming `what` (and the last error `fn` threw,
 * so `fn` may hold expect() calls).
 */
export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    let last: unknown
    try {
      const v = await fn()
      if (v !== undefined && v !== false) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${(last as Error).message}`}`, { cause: last })
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/**
 * One time budget for the steps of a test, inside its timeout (five waits of 10 s each would
 * overrun a 30 s test, and the timeout names no step). `within(what, p)` rejects naming `what`
 * once the budget is spent, even when `p` never settles; `left()` is the time remaining, for a
 * waitFor inside a step.
 */
export function budget(ms: number): { left: () => number; within: <T>(what: string, p: Promise<T>) => Promise<T> } {
  const end = Date.now() + ms
  const left = () => Math.max(0, end - Date.now())
  return {
    left,
    async within<T>(what: string, p: Promise<T>): Promise<T> {
      let timer: NodeJS.Timeout | undefined
      const spent = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out waiting for ${what} (the test's budget of ${ms} ms is spent)`)), left())
      })
      try {
        return await Promise.race([p, spent])
      } finally {
        clearTimeout(timer)
      }
    },
  }
}
