import { describe, expect, it } from 'vitest'
import { TestClock } from '../../test/support/clock.js'
import pino from 'pino'
import { ObligationScheduler, type ObligationStore } from './scheduler.js'
import type { WorkingDayCalendar } from './calendar.js'
import type { RegistryIndex } from '../registry/index.js'

function scheduler(store: ObligationStore, clock: TestClock): ObligationScheduler {
  const counter = { inc: () => undefined }
  return new ObligationScheduler({
    store, registry: () => ({}) as RegistryIndex, calendar: {} as WorkingDayCalendar, tenants: [], clock,
    log: pino({ level: 'silent' }), metrics: { obligationsOverdue: counter, obligationTransitions: counter } as never, wake: () => undefined,
  })
}

describe('ObligationScheduler.soon (late alerts)', () => {
  it('runs one check within the delay however often it is asked, and another after a later ask', async () => {
    const clock = new TestClock(0)
    let checks = 0
    const store: ObligationStore = {
      open: true,
      dueObligations: () => (checks++, Promise.resolve([])),
      applyObligationTransitions: () => Promise.resolve([]),
      openObligations: () => Promise.resolve([]),
    }
    const s = scheduler(store, clock)
    for (let i = 0; i < 50; i++) s.soon(100)
    await clock.advance(99)
    expect(checks).toBe(0)
    await clock.advance(1)
    expect(checks).toBe(1)
    s.soon(100)
    await clock.advance(100)
    expect(checks).toBe(2)
  })

  it('stop() cancels a check asked for and not yet run', async () => {
    const clock = new TestClock(0)
    let checks = 0
    const s = scheduler({ open: true, dueObligations: () => (checks++, Promise.resolve([])), applyObligationTransitions: () => Promise.resolve([]), openObligations: () => Promise.resolve([]) }, clock)
    s.soon(100)
    await s.stop()
    await clock.advance(200)
    expect(checks).toBe(0)
  })
})
