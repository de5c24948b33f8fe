import { describe, expect, it } from 'vitest'
import { TestClock } from '../../test/support/clock.js'
import { every, systemClock } from './index.js'

describe('the clock', () => {
  it('every() runs once per period on the clock, once for a jump over many periods, and not after cancel', async () => {
    const clock = new TestClock('2025-03-14T09:00:00Z')
    const runs: number[] = []
    const timer = every(clock, 1000, () => void runs.push(clock.now()))
    await clock.advance(999)
    expect(runs).toEqual([])
    await clock.advance(1)
    expect(runs).toHaveLength(1)
    await clock.advance(10_000) // ten periods at once: one run, not ten
    expect(runs).toHaveLength(2)
    timer.cancel()
    await clock.advance(10_000)
    expect(runs).toHaveLength(2)
  })

  it('a test clock settles advance() when the work its timers started has', async () => {
    const clock = new TestClock(0)
    let done = false
    clock.setTimeout(() => new Promise<void>((r) => setTimeout(() => ((done = true), r()), 20)), 5)
    await clock.advance(5)
    expect(done).toBe(true)
  })

  it('a running test clock moves with wall time from where it was set, and set() jumps it', async () => {
    const clock = new TestClock('2026-04-02T10:00:00Z', { running: true })
    const t0 = clock.now()
    expect(t0).toBeGreaterThanOrEqual(Date.parse('2026-04-02T10:00:00Z'))
    await clock.set('2026-04-09T11:00:00Z')
    expect(clock.now() - Date.parse('2026-04-09T11:00:00Z')).toBeLessThan(1000)
  })

  it('the system clock is wall time, and its timers fire and can be cancelled', async () => {
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(50)
    let fired = 0
    const cancelled = systemClock.setTimeout(() => fired++, 1)
    cancelled.cancel()
    await new Promise<void>((r) => systemClock.setTimeout(r, 5))
    expect(fired).toBe(0)
  })
})
