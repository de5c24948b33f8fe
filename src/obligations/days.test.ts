import { describe, expect, it } from 'vitest'
import {
  addDays, bstPeriod, dateOfDayNumber, dayNumber, isIsoDate, ukDateOf, ukMidnightUtc, weekday,
} from './days.js'

const utc = (iso: string) => Date.parse(iso)

// Reference: the tz database via Intl (slow; used here only).
const london = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' })

describe('day numbers', () => {
  it('round-trips and agrees with Date.UTC', () => {
    for (let n = -800; n < 80_000; n += 37) {
      const date = dateOfDayNumber(n)
      expect(dayNumber(date)).toBe(n)
      expect(date).toBe(new Date(n * 86_400_000).toISOString().slice(0, 10))
    }
    expect(dayNumber('1970-01-01')).toBe(0)
    expect(dayNumber('2000-03-01')).toBe(11_017)
  })

  it('rejects what is not a calendar date', () => {
    for (const bad of ['2025-02-29', '2025-13-01', '2025-04-31', '2025-1-1', '20250101', '']) {
      expect(isIsoDate(bad)).toBe(false)
      expect(() => dayNumber(bad)).toThrow(RangeError)
    }
    expect(isIsoDate('2024-02-29')).toBe(true)
  })

  it('weekday and addDays', () => {
    expect(weekday('1970-01-01')).toBe(4)
    expect(weekday('2026-11-30')).toBe(1)
    expect(weekday('1969-12-28')).toBe(0)
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29')
  })
})

describe('Europe/London clock', () => {
  it('BST runs 01:00 UTC last Sunday of March to 01:00 UTC last Sunday of October', () => {
    expect(bstPeriod(2025)).toEqual([utc('2025-03-30T01:00Z'), utc('2025-10-26T01:00Z')])
    expect(bstPeriod(2026)).toEqual([utc('2026-03-29T01:00Z'), utc('2026-10-25T01:00Z')])
  })

  it('ukDateOf around the 2025 transitions', () => {
    expect(ukDateOf(utc('2025-03-29T23:30Z'))).toBe('2025-03-29') // GMT
    expect(ukDateOf(utc('2025-03-30T23:30Z'))).toBe('2025-03-31') // 00:30 BST
    expect(ukDateOf(utc('2025-10-25T22:59Z'))).toBe('2025-10-25') // 23:59 BST
    expect(ukDateOf(utc('2025-10-25T23:30Z'))).toBe('2025-10-26') // 00:30 BST; BST ends 01:00Z
    expect(ukDateOf(utc('2025-10-26T23:30Z'))).toBe('2025-10-26') // GMT again
    expect(ukDateOf(utc('2025-12-31T23:59:59.999Z'))).toBe('2025-12-31')
  })

  it('ukMidnightUtc is 23:00 UTC the day before in BST, 00:00 UTC in GMT', () => {
    expect(ukMidnightUtc('2025-03-30')).toBe(utc('2025-03-30T00:00Z')) // change day starts in GMT
    expect(ukMidnightUtc('2025-03-31')).toBe(utc('2025-03-30T23:00Z'))
    expect(ukMidnightUtc('2025-10-26')).toBe(utc('2025-10-25T23:00Z')) // change day starts in BST
    expect(ukMidnightUtc('2025-10-27')).toBe(utc('2025-10-27T00:00Z'))
  })

  it('agrees with the tz database every 30 minutes, 2025-2026', () => {
    for (let t = utc('2025-01-01T00:00Z'); t < utc('2027-01-01T00:00Z'); t += 1_800_000) {
      expect(ukDateOf(t), new Date(t).toISOString()).toBe(london.format(t))
    }
  })

  it('midnights agree with the tz database, 1996-2040', () => {
    for (let n = dayNumber('1996-01-01'); n < dayNumber('2041-01-01'); n++) {
      const date = dateOfDayNumber(n)
      const ms = ukMidnightUtc(date)
      expect(london.format(ms), date).toBe(date)
      expect(london.format(ms - 1), date).toBe(dateOfDayNumber(n - 1))
    }
  })
})
