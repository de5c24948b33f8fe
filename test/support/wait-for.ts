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
