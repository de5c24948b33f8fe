import { afterEach, describe, expect, it, vi } from 'vitest'
import pino from 'pino'
import { ObligationScheduler, type ObligationStore } from './scheduler.js'
import type { WorkingDayCalendar } from './calendar.js'
import type { RegistryIndex } from '../registry/types.js'

function scheduler(store: ObligationStore): ObligationScheduler {
  const counter = { inc: () => undefined }
  return new ObligationScheduler({
    store, registry: () => ({}) as RegistryIndex, calendar: {} as WorkingDayCalendar, tenants: [], now: () => 0,
    log: pino({ level: 'silent' }), metrics: { obligationsOverdue: counter, obligationTransitions: counter } as never, wake: () => undefined,
  })
}

describe('ObligationScheduler.soon (late alerts)', () => {
  afterEach(() => void vi.useRealTimers())

  it('runs one check within the delay however often it is asked, and another after a later ask', async () => {
    vi.useFakeTimers()
    let checks = 0
    const store: ObligationStore = {
      open: true,
      dueObligations: () => (checks++, Promise.resolve([])),
      applyObligationTransitions: () => Promise.resolve([]),
      openObligations: () => Promise.resolve([]),
    }
    const s = scheduler(store)
    for (let i = 0; i < 50; i++) s.soon(100)
    await vi.advanceTimersByTimeAsync(99)
    expect(checks).toBe(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(checks).toBe(1)
    s.soon(100)
    await vi.advanceTimersByTimeAsync(100)
    expect(checks).toBe(2)
  })

  it('stop() cancels a check asked for and not yet run', async () => {
    vi.useFakeTimers()
    let checks = 0
    const s = scheduler({ open: true, dueObligations: () => (checks++, Promise.resolve([])), applyObligationTransitions: () => Promise.resolve([]), openObligations: () => Promise.resolve([]) })
    s.soon(100)
    await s.stop()
    await vi.advanceTimersByTimeAsync(200)
    expect(checks).toBe(0)
  })
})
