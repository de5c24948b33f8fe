import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { formatDay, MAX_DAY, parseDay } from './day.js'

describe('day numbers', () => {
  it('round-trips and matches Date', () => {
    expect(parseDay('1970-01-01')).toBe(0)
    expect(parseDay('2025-03-30')).toBe(Date.UTC(2025, 2, 30) / 86_400_000)
    expect(formatDay(parseDay('2024-02-29'))).toBe('2024-02-29')
    fc.assert(fc.property(fc.integer({ min: 0, max: MAX_DAY }), (n) => {
      const s = formatDay(n)
      expect(s).toBe(new Date(n * 86_400_000).toISOString().slice(0, 10))
      expect(parseDay(s)).toBe(n)
    }))
  })
  it('rejects non-dates and dates outside the stored range', () => {
    for (const s of ['2023-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '24-01-01', '2024/01/01', '1969-12-31', '2150-01-01', '2024-1-01', ''])
      expect(parseDay(s), s).toBe(-1)
  })
})
