import { describe, expect, it } from 'vitest'
import { TestClock } from '../../test/support/clock.js'
import { GatewayMetrics } from '../metrics/index.js'
import { SpoolLimit } from './limits-spool.js'

// The spool bound reads time from the gateway's clock, the one that stamped the spool rows: a
// gateway on a clock set in the past (tests, a replay) does not see its own rows as months old.
describe('SpoolLimit on the injected clock', () => {
  const PAST = Date.parse('2025-03-14T09:00:00Z')

  function limitOn(clock: TestClock, bounds: { n: number; bytes: number; oldest: number | null }, maxSpoolAgeSeconds = 60) {
    let measured = 0
    const source = { spoolBounds: () => (measured++, bounds) }
    const limit = new SpoolLimit(source, { maxSpoolBytes: 0, maxSpoolAgeSeconds }, new GatewayMetrics({ processMetrics: false }), clock)
    return { limit, measured: () => measured }
  }

  it('judges the age of the oldest row by the clock that stamped it, not by the wall clock', async () => {
    const clock = new TestClock(PAST)
    const { limit } = limitOn(clock, { n: 1, bytes: 10, oldest: PAST })
    expect(limit.overBound()).toBeUndefined() // wall time is long past 2025: Date.now() would say 503
    await clock.advance(61_000)
    expect(limit.overBound()).toMatch(/61 s old; limit 60 s \(limits.maxSpoolAgeSeconds\)/)
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
