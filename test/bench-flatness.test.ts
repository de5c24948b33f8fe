// The flat-timeline figure in the benchmark report (bench/report.ts flatness): after the first 10 s every second within 15% of the median.
import { describe, expect, it } from 'vitest'
import { flatness } from '../bench/report.js'

describe('flatness', () => {
  it('sums 250 ms buckets into seconds, skips the first 10 s and judges every later second against the median', () => {
    const steady = Array.from({ length: 80 }, () => 250) // 20 s at 1,000 msg/s
    expect(flatness(steady, 250)).toMatchObject({ median: 1000, worst: 0, within: 1, seconds: 10, flat: true })
    const warmup = [...Array.from({ length: 40 }, () => 10), ...steady.slice(40)] // a slow start is not judged
    expect(flatness(warmup, 250).flat).toBe(true)
    const sagging = [...steady, ...Array.from({ length: 80 }, () => 175)] // 20 s at 1,000 msg/s, then 20 s at 700
    const r = flatness(sagging, 250)
    expect(r).toMatchObject({ median: 700, seconds: 30, flat: false })
    expect(r.worst).toBeCloseTo(300 / 700, 5)
    expect(r.within).toBeCloseTo(20 / 30, 5)
    expect(r.fifths).toEqual([1000, 1000, 700, 700, 700])
  })
})
