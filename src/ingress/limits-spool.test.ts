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
    const source = { spoolBounds: () => (measured++, bounds), waitingDeliveries: () => 0 }
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
  function limitOn(clock: TestClock, waiting: (blocked: readonly string[]) => number, notAccepting: string[] = [], max = 100) {
    const asked: (readonly string[])[] = []
    const lines: string[] = []
    const log = { warn: (o: object, msg: string) => void lines.push(`warn ${JSON.stringify(o)} ${msg}`), info: (o: object, msg: string) => void lines.push(`info ${JSON.stringify(o)} ${msg}`) }
    const source = {
      spoolBounds: () => ({ n: 500, bytes: 1000, oldest: clock.now() }),
      waitingDeliveries: (blocked: readonly string[] = []) => (asked.push(blocked), waiting(blocked)),
    }
    const limits = { maxSpoolBytes: 1 << 30, maxSpoolAgeSeconds: 86_400, maxWaitingDeliveries: max }
    return { limit: new SpoolLimit(source, limits, new GatewayMetrics({ processMetrics: false }), clock, { notAccepting: () => notAccepting, log: log as unknown as Pick<Logger, 'warn' | 'info'> }), asked, lines }
  }

  it('answers overloaded at maxWaitingDeliveries deliveries not attempted yet, and accepts again once they fall under it', async () => {
    const clock = new TestClock(0)
    let waiting = 99
    const { limit } = limitOn(clock, () => waiting)
    expect(limit.overBound()).toBeUndefined()
    waiting = 100
    await clock.advance(200)
    expect(limit.overBound()).toEqual({
      kind: 'overloaded',
      detail: '100 accepted deliveries are waiting for their first attempt at targets that are up; limit 100 (limits.maxWaitingDeliveries)',
    })
    waiting = 40
    await clock.advance(200)
    expect(limit.overBound()).toBeUndefined()
  })

  it('logs once when ingress starts refusing and once when it accepts again, not per request or per measure', async () => {
    const clock = new TestClock(0)
    let waiting = 500
    const { limit, lines } = limitOn(clock, () => waiting)
    for (let k = 0; k < 5; k++) {
      limit.overBound()
      await clock.advance(200)
    }
    waiting = 0
    for (let k = 0; k < 5; k++) {
      limit.overBound()
      await clock.advance(200)
    }
    expect(lines).toEqual([
      'warn {"bound":"overloaded","detail":"500 accepted deliveries are waiting for their first attempt at targets that are up; limit 100 (limits.maxWaitingDeliveries)"} ingress refuses new messages (503) until back under the bound',
      'info {"bound":"overloaded"} ingress accepts again: back under the bound',
    ])
  })

  it("leaves out the targets whose breaker is not closed (an outage's backlog is bounded by bytes and age)", async () => {
    const clock = new TestClock(0)
    const { limit, asked } = limitOn(clock, (blocked) => (blocked.includes('adapter ACME') ? 3 : 5000), ['adapter ACME'])
    expect(limit.overBound()).toBeUndefined()
    expect(asked).toEqual([['adapter ACME']])
  })

  it('does not count at all when the bound is 0', () => {
    const { limit, asked } = limitOn(new TestClock(0), () => 1e9, [], 0)
    expect(limit.overBound()).toBeUndefined()
    expect(asked).toEqual([])
  })
})
