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

  it('durations in the two largest units', () => {
    expect(durationWords(7 * 86_400_000 + 3_600_000 + 60_000)).toBe('7 days 1 hour')
    expect(durationWords(45 * 60_000)).toBe('45 minutes')
    expect(durationWords(1000)).toBe('less than a minute')
  })
})
