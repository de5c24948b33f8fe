// bench/lib/tail-trace.ts: how a traced open-loop run's slow answers are charged to what overlapped them.
import { describe, expect, it } from 'vitest'
import { type CpuProfile, gapProfile, parseClock, parseLoopEvents, parseRequests, slowCauses } from '../bench/lib/tail-trace.js'

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

  it('lays a --cpu-prof profile over the gaps by the trace\'s pair of clocks and charges each in-gap sample to our innermost frame', () => {
    // monotonic 5,000,000 µs is epoch 1000 ms; samples every ms from monotonic 5,000,000 µs on
    const clock = parseClock('clock 1000.000 5000000\ngap 1003.0 4.00 4.00 0.00\n')!
    expect(clock).toEqual({ epochMs: 1000, monoUs: 5_000_000 })
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 })
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 4] },
        { id: 2, callFrame: frame('encode', 'file:///app/dist/store/record.js'), children: [3] },
        { id: 3, callFrame: frame('writeUtf8', 'node:buffer') },
        { id: 4, callFrame: frame('(idle)', '') },
      ],
      startTime: 4_999_000,
      // sample k at monotonic 5,000,000 + 1000k µs = epoch 1000 + k ms: k = 3..6 fall in the gap [1003, 1007)
      samples: [4, 2, 3, 3, 2, 4, 3, 4, 4, 4],
      timeDeltas: [1000, ...Array(9).fill(1000)],
    }
    const p = gapProfile(profile, parseLoopEvents('clock 1000.000 5000000\ngap 1003.0 4.00 4.00 0.00\n'), clock)
    expect(p.total).toBe(10)
    expect(p.inGap).toBe(4)
    // in the gap: 3 (encode via writeUtf8), 2 (encode), 4 (idle), 3 (encode)
    expect(p.frames).toEqual([
      { frame: 'store/record.js encode', inGap: 0.75, overall: 0.5 },
      { frame: '(outside) (idle)', inGap: 0.25, overall: 0.5 },
    ])
    // from 1002 on: samples before it are not counted, a gap starting before it is left out
    expect(gapProfile(profile, parseLoopEvents('gap 1003.0 4.00 4.00 0.00'), clock, 1002)).toMatchObject({ total: 8, inGap: 4 })
    expect(gapProfile(profile, parseLoopEvents('gap 1003.0 4.00 4.00 0.00'), clock, 1004)).toMatchObject({ total: 6, inGap: 0 })
  })
})
