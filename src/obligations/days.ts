// Pure helpers on UK calendar dates written `YYYY-MM-DD`, and the Europe/London clock.
// A "day number" counts days since 1970-01-01 (day 0, a Thursday).
//
// UK summer time (Summer Time Order 2002, harmonised with EU Directive 2000/84/EC): BST
// (UTC+1) runs from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
// October. The rule is computed, not looked up with Intl, and the two instants are cached per
// year. It matches the tz database from 1996 on; earlier years are outside the gateway's use.
// The civil-date arithmetic and the BST rule are src/dates' (civil.ts, uk-day.ts), which the
// registry uses too: one implementation, so a registration day and an obligation day can never
// disagree.
import { bstWindow, civilFromDays, daysFromCivil, daysInMonth, formatDay, ukDayNumberOf as ukDayNumberOfInstant } from '../dates/index.js'

/** A calendar date `YYYY-MM-DD` (no time, no zone). */
export type IsoDate = string

export const DAY_MS = 86_400_000
const HOUR_MS = 3_600_000
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/** Day number of a `YYYY-MM-DD` date; throws RangeError on anything that is not a real date. */
export function dayNumber(date: IsoDate): number {
  const m = ISO_DATE.exec(date)
  if (m) {
    const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3])
    const n = daysFromCivil(y, mo, d)
    if (mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo)) return n
  }
  throw new RangeError(`not a calendar date YYYY-MM-DD: ${JSON.stringify(date)}`)
}

/** True when `s` is a real calendar date written `YYYY-MM-DD` (2025-02-30 is not). */
export function isIsoDate(s: string): boolean {
  try {
    dayNumber(s)
    return true
  } catch {
    return false
  }
}

/** `YYYY-MM-DD` of a day number. */
export function dateOfDayNumber(n: number): IsoDate {
  return formatDay(n)
}

/** 0 = Sunday … 6 = Saturday, as Date#getUTCDay. */
export function weekdayOfDayNumber(n: number): number {
  return (((n + 4) % 7) + 7) % 7
}

export function weekday(date: IsoDate): number {
  return weekdayOfDayNumber(dayNumber(date))
}

export function isWeekend(date: IsoDate): boolean {
  const w = weekday(date)
  return w === 0 || w === 6
}

export function yearOfDayNumber(n: number): number {
  return civilFromDays(n).y
}

export function addDays(date: IsoDate, n: number): IsoDate {
  return dateOfDayNumber(dayNumber(date) + n)
}

/** Day number of the Europe/London calendar date at the instant `epochMs`. */
export function ukDayNumberOf(epochMs: number): number {
  return ukDayNumberOfInstant(epochMs)
}

/** The Europe/London calendar date at the instant `epochMs`. */
export function ukDateOf(epochMs: number): IsoDate {
  return dateOfDayNumber(ukDayNumberOf(epochMs))
}

/** Epoch ms of 00:00 Europe/London on the day number `n`. */
export function ukMidnightUtcOfDayNumber(n: number): number {
  const utcMidnight = n * DAY_MS
  // 00:00 BST is 23:00 UTC the day before. Both transitions happen at 01:00 UTC on a
  // Sunday, so the Sunday of the spring change starts in GMT and the autumn one in BST.
  const bstMidnight = utcMidnight - HOUR_MS
  const year = civilFromDays(n).y
  return ukOffsetMs(bstMidnight, year) === HOUR_MS ? bstMidnight : utcMidnight
}

/** Epoch ms of 00:00 Europe/London on `date` (23:00 UTC the day before during BST). */
export function ukMidnightUtc(date: IsoDate): number {
  return ukMidnightUtcOfDayNumber(dayNumber(date))
}

// --- summer time -------------------------------------------------------------------------

/** [start, end) of BST in `year`, epoch ms. */
export function bstPeriod(year: number): readonly [start: number, end: number] {
  return bstWindow(year)
}

function ukOffsetMs(epochMs: number, year: number): number {
  const [start, end] = bstWindow(year)
  return epochMs >= start && epochMs < end ? HOUR_MS : 0
}
