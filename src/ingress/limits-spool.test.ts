import { describe, expect, it } from 'vitest'
import type { Logger } from 'pino'
import { TestClock } from '../../test/support/clock.js'
import { GatewayMetrics } from '../metrics/index.js'
import { SpoolLimit } from './limits-spool.js'

// The spool bound reads time from the gateway's clock, the one that stamped the spool rows: a
// gateway on a clock set in the past (tests, a replay) does not see its own rows as months old.
describe('SpoolLimit on the injected clock', () => {
  const PAST = Date.parse('2025-03-14T09:00:00Z')

  function limitOn(clock: TestClock, bounds: { n: number; bytes: number; oldest: number | null }, maxSpoolAgeSeconds = 60) {
    let measured = 0
    const source = { spoolBounds: () => (measured++, bounds), waitingDeliveries: () => new Map<string, number>() }
    const limit = new SpoolLimit(source, { maxSpoolBytes: 0, maxSpoolAgeSeconds, maxWaitingDeliveries: 0 }, new GatewayMetrics({ processMetrics: false }), clock)
    return { limit, measured: () => measured }
  }

  it('judges the age of the oldest row by the clock that stamped it, not by the wall clock', async () => {
    const clock = new TestClock(PAST)
    const { limit } = limitOn(clock, { n: 1, bytes: 10, oldest: PAST })
    expect(limit.overBound()).toBeUndefined() // wall time is long past 2025: Date.now() would say 503
    await clock.advance(61_000)
    expect(limit.overBound()).toEqual({ kind: 'spool-full', detail: expect.stringMatching(/61 s old; limit 60 s \(limits.maxSpoolAgeSeconds\)/) })
  })

  it('measures again once the refresh interval has passed on the clock, not before', async () => {
    const clock = new TestClock(PAST)
    const { limit, measured } = limitOn(clock, { n: 1, bytes: 10, oldest: PAST })
    limit.overBound()
    limit.overBound()
    expect(measured()).toBe(1)
    await clock.advance(199)
    limit.overBound()
    expect(measured()).toBe(1)
    await clock.advance(1)
    limit.overBound()
    expect(measured()).toBe(2)
  })
})

// Overload (docs/performance.md, "Overload"): targets that are up but slower than the traffic.
describe('SpoolLimit on waiting deliveries', () => {
  /** a source whose waiting deliveries per "<target> <party>" the test sets; the limit measures every 200 ms of `clock` */
  function limitOn(max = 100) {
    const clock = new TestClock(0)
    const state = { waiting: {} as Record<string, number>, down: [] as string[], asked: 0 }
    const lines: string[] = []
    const log = { warn: (o: object, msg: string) => void lines.push(`warn ${JSON.stringify(o)} ${msg}`), info: (o: object, msg: string) => void lines.push(`info ${JSON.stringify(o)} ${msg}`) }
    const source = {
      spoolBounds: () => ({ n: 500, bytes: 1000, oldest: clock.now() }),
      waitingDeliveries: () => (state.asked++, new Map(Object.entries(state.waiting))),
    }
    const limits = { maxSpoolBytes: 1 << 30, maxSpoolAgeSeconds: 86_400, maxWaitingDeliveries: max }
    const limit = new SpoolLimit(source, limits, new GatewayMetrics({ processMetrics: false }), clock, {
      notAccepting: () => state.down, log: log as unknown as Pick<Logger, 'warn' | 'info'>,
    })
    /** the verdict after the next measure */
    const measure = async () => {
      await clock.advance(200)
      return limit.overBound()
    }
    return { limit, state, lines, measure }
  }
  const overloaded = (n: number) => ({
    kind: 'overloaded',
    detail: `${n} accepted deliveries are waiting for their first attempt at targets that are up (what arrived during an outage not counted); limit 100 (limits.maxWaitingDeliveries)`,
  })

  it('answers overloaded at maxWaitingDeliveries deliveries not attempted yet, and accepts again once they fall under it', async () => {
    const { limit, state, measure } = limitOn()
    expect(limit.overBound()).toBeUndefined()
    state.waiting = { 'adapter ACME': 60, 'notice BRITE': 39 }
    expect(await measure()).toBeUndefined()
    state.waiting = { 'adapter ACME': 61, 'notice BRITE': 39 }
    expect(await measure()).toEqual(overloaded(100))
    state.waiting = { 'adapter ACME': 40 }
    expect(await measure()).toBeUndefined()
  })

  it('logs once when ingress starts refusing and once when it accepts again, not per request or per measure', async () => {
    const { limit, state, lines, measure } = limitOn()
    limit.overBound()
    state.waiting = { 'adapter ACME': 500 }
    for (let k = 0; k < 5; k++) await measure()
    state.waiting = {}
    for (let k = 0; k < 5; k++) await measure()
    expect(lines).toEqual([
      `warn {"bound":"overloaded","detail":"${overloaded(500).detail}"} ingress refuses new messages (503) until back under the bound`,
      'info {"bound":"overloaded"} ingress accepts again: back under the bound',
    ])
  })

  it("leaves out a target whose breaker is not closed, and once it is back sets aside what arrived meanwhile as it drains: only growth beyond it counts", async () => {
    const { limit, state, measure } = limitOn()
    limit.overBound()
    state.waiting = { 'adapter ACME': 50, 'notice BRITE': 10 }
    expect(await measure()).toBeUndefined()
    state.down = ['adapter ACME'] // the adapter fails: 5,000 arrive while its breaker is open
    state.waiting = { 'adapter ACME': 5050, 'notice BRITE': 10 }
    expect(await measure()).toBeUndefined()
    state.down = [] // back: the 50 from before count again, the 5,000 are set aside
    state.waiting = { 'adapter ACME': 5040, 'notice BRITE': 10 }
    expect(await measure()).toBeUndefined()
    state.waiting = { 'adapter ACME': 5089, 'notice BRITE': 10 }
    expect(await measure()).toBeUndefined()
    state.waiting = { 'adapter ACME': 5090, 'notice BRITE': 10 }
    expect(await measure()).toEqual(overloaded(100))
    state.waiting = { 'adapter ACME': 3000, 'notice BRITE': 10 } // draining: the set-aside shrinks with it
    expect(await measure()).toBeUndefined()
    state.waiting = { 'adapter ACME': 3090, 'notice BRITE': 10 }
    expect(await measure()).toEqual(overloaded(100))
    state.waiting = { 'notice BRITE': 10 } // drained: nothing set aside any more
    expect(await measure()).toBeUndefined()
    state.waiting = { 'adapter ACME': 90, 'notice BRITE': 10 }
    expect(await measure()).toEqual(overloaded(100))
  })

  it('an outage never raises the bound: what counted before it still counts after', async () => {
    const { limit, state, measure } = limitOn()
    limit.overBound()
    state.waiting = { 'adapter ACME': 100 }
    expect(await measure()).toEqual(overloaded(100))
    state.down = ['adapter ACME']
    state.waiting = { 'adapter ACME': 300 }
    expect(await measure()).toBeUndefined()
    state.down = []
    expect(await measure()).toEqual(overloaded(100))
  })

  it('counts what a start recovers until it is attempted (setting it aside would let each restart add a bound)', async () => {
    const { limit, state, measure } = limitOn()
    state.waiting = { 'adapter ACME': 4000 }
    expect(limit.overBound()).toEqual(overloaded(4000))
    state.waiting = { 'adapter ACME': 99 }
    expect(await measure()).toBeUndefined()
  })

  it('does not count at all when the bound is 0', () => {
    const { limit, state } = limitOn(0)
    state.waiting = { 'adapter ACME': 1e9 }
    expect(limit.overBound()).toBeUndefined()
    expect(state.asked).toBe(0)
  })
})
