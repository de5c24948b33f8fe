// bench/lib/tail-trace.ts: how a traced open-loop run's slow answers are charged to what overlapped them.
import { describe, expect, it } from 'vitest'
import { parseLoopEvents, parseRequests, slowCauses } from '../bench/lib/tail-trace.js'

describe('the tail trace', () => {
  const requests = parseRequests([
    '1000.0 1.00', // fast
    '1010.0 20.00', // 1010-1030: a major GC at 1020
    '1100.0 15.00', // 1100-1115: a 3 ms scavenge at 1105 and a gap
    '1200.0 14.00', // 1200-1214: a gap only
    '1300.0 13.00', // 1300-1313: a 1 ms scavenge only
    '1400.0 12.00', // nothing
    '',
  ].join('\n'))
  const events = parseLoopEvents([
    'gc 1020.0 12.50 major',
    'gc 1105.0 3.00 minor',
    'gap 1104.0 6.00 2.00 4.00',
    'gap 1205.0 9.00 3.00 6.00',
    'gc 1301.0 1.00 minor',
    'gap 5000.0 5.00 5.00 0.00',
  ].join('\n'))

  it('charges each slow answer once, to a major GC first, then a long scavenge, then a gap, then a short GC', () => {
    const c = slowCauses(requests, events, 12)
    expect(c.requests).toBe(6)
    expect(c.slow).toBe(5)
    expect(c.byCause).toEqual({ majorGc: 1, scavenge: 1, gap: 1, smallGc: 1, none: 1 })
  })

  it('adds up the gaps on a core and waiting for one, from the start time on', () => {
    expect(slowCauses(requests, events, 12).gaps).toEqual({ count: 3, ms: 20, onCore: 10, waiting: 10 })
    const later = slowCauses(requests, events, 12, 1150)
    expect(later.requests).toBe(3)
    expect(later.byCause).toEqual({ majorGc: 0, scavenge: 0, gap: 1, smallGc: 1, none: 1 })
    expect(later.gaps).toEqual({ count: 2, ms: 14, onCore: 8, waiting: 6 })
  })
})
