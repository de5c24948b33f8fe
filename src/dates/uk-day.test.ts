import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { formatDay } from './civil.js'
import { ukDayOf, ukDayNumberOf } from './uk-day.js'

describe('ukDayOf (Europe/London)', () => {
  it('follows BST transitions', () => {
    expect(ukDayOf(Date.parse('2025-03-30T00:59:59Z'))).toBe('2025-03-30') // GMT, 00:59
    expect(ukDayOf(Date.parse('2025-03-30T01:00:00Z'))).toBe('2025-03-30') // BST starts, 02:00
    expect(ukDayOf(Date.parse('2025-03-29T23:30:00Z'))).toBe('2025-03-29') // still GMT
    expect(ukDayOf(Date.parse('2025-06-30T23:30:00Z'))).toBe('2025-07-01') // BST: 00:30 next day
    expect(ukDayOf(Date.parse('2025-10-25T23:30:00Z'))).toBe('2025-10-26') // BST until 01:00Z on the 26th
    expect(ukDayOf(Date.parse('2025-10-26T00:59:59Z'))).toBe('2025-10-26')
    expect(ukDayOf(Date.parse('2025-10-26T23:30:00Z'))).toBe('2025-10-26') // GMT again
    expect(ukDayOf(Date.parse('2024-12-31T23:59:59Z'))).toBe('2024-12-31')
  })
  it('agrees with Intl for any instant 1990..2100', () => {
    const fmt = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' })
    fc.assert(fc.property(fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2100, 0, 1) }), (ms) => {
      expect(ukDayOf(ms)).toBe(fmt.format(ms))
    }), { numRuns: 20_000 })
    // around every transition 2020..2030
    for (let y = 2020; y <= 2030; y++) for (const m of [2, 9]) for (let d = 24; d <= 31; d++) for (let h = 22; h <= 26; h++) {
      const ms = Date.UTC(y, m, d, h, 30)
      expect(ukDayOf(ms)).toBe(fmt.format(ms))
    }
  })
  it('day number matches the string', () => {
    const ms = Date.parse('2025-06-30T23:30:00Z')
    expect(formatDay(ukDayNumberOf(ms))).toBe('2025-07-01')
  })
})
