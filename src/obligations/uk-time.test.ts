import { describe, expect, it } from 'vitest'
import { durationWords, ukDayWords, ukDeadlineWords, ukTimeWords } from './uk-time.js'

describe('UK local time in words (issue 15, point 8)', () => {
  it('a deadline is the end of the UK day before the instant, in GMT and in BST', () => {
    expect(ukDeadlineWords(Date.parse('2026-12-08T00:00:00.000Z'))).toBe('the end of Monday 7 December 2026, UK time')
    expect(ukDeadlineWords(Date.parse('2026-04-07T23:00:00.000Z'))).toBe('the end of Tuesday 7 April 2026, UK time')
  })

  it('a time says the clock in London', () => {
    expect(ukTimeWords(Date.parse('2026-04-02T13:05:00.000Z'))).toBe('14:05 on Thursday 2 April 2026, UK time')
    expect(ukTimeWords(Date.parse('2025-11-28T15:00:00.000Z'))).toBe('15:00 on Friday 28 November 2025, UK time')
    expect(ukDayWords(Date.parse('2025-06-13T23:30:00.000Z'))).toBe('Saturday 14 June 2025')
  })

  it('says what Intl says for every minute around the clock changes and hour and day ends (the per-hour cache)', () => {
    const clock = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    const day = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' })
    const intl = (ms: number) => `${clock.format(ms)} on ${day.format(ms).replace(',', '')}, UK time`
    // BST starts 2026-03-29 01:00 UTC and ends 2026-10-25 01:00 UTC; the year turns in GMT; and
    // 1968-1971 (British Standard Time) kept UTC+1 all winter
    for (const around of ['2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z', '2026-12-31T23:00:00Z', '2026-06-30T23:00:00Z', '1970-01-01T00:00:00Z']) {
      const t = Date.parse(around)
      for (let ms = t - 3 * 3_600_000; ms <= t + 3 * 3_600_000; ms += 59_999) {
        expect(ukTimeWords(ms)).toBe(intl(ms))
        expect(ukDayWords(ms)).toBe(intl(ms).replace(/^.* on (.*), UK time$/, '$1'))
      }
    }
    // before 1847 London kept its own mean time (UTC-0:01:15): not on the hour, so not cached
    expect(ukTimeWords(Date.parse('1800-06-01T12:00:00Z'))).toBe(intl(Date.parse('1800-06-01T12:00:00Z')))
  })

  it('durations in the two largest units', () => {
    expect(durationWords(7 * 86_400_000 + 3_600_000 + 60_000)).toBe('7 days 1 hour')
    expect(durationWords(45 * 60_000)).toBe('45 minutes')
    expect(durationWords(1000)).toBe('less than a minute')
  })
})
