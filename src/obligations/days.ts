// Pure helpers on UK calendar dates written `YYYY-MM-DD`, and the Europe/London clock.
// A "day number" counts days since 1970-01-01 (day 0, a Thursday).
//
// UK summer time (Summer Time Order 2002, harmonised with EU Directive 2000/84/EC): BST
// (UTC+1) runs from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
// October. The rule is computed, not looked up with Intl, and the two instants are cached per
// year. It matches the tz database from 1996 on; earlier years are outside the gateway's use.

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
  const { y, m, d } = civilFromDays(n)
  return `${String(y).padStart(4, '0')}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`
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
  // BST never spans 1 January, so the UTC year picks the right transitions.
  const year = civilFromDays(Math.floor(epochMs / DAY_MS)).y
  return Math.floor((epochMs + ukOffsetMs(epochMs, year)) / DAY_MS)
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

const bstCache = new Map<number, readonly [start: number, end: number]>()

/** [start, end) of BST in `year`, epoch ms. */
export function bstPeriod(year: number): readonly [start: number, end: number] {
  let period = bstCache.get(year)
  if (!period) {
    period = [lastSundayDayNumber(year, 3) * DAY_MS + HOUR_MS, lastSundayDayNumber(year, 10) * DAY_MS + HOUR_MS]
    bstCache.set(year, period)
  }
  return period
}

function ukOffsetMs(epochMs: number, year: number): number {
  const [start, end] = bstPeriod(year)
  return epochMs >= start && epochMs < end ? HOUR_MS : 0
}

function lastSundayDayNumber(year: number, month: number): number {
  const last = daysFromCivil(year, month, daysInMonth(year, month))
  return last - weekdayOfDayNumber(last)
}

// --- civil calendar (H. Hinnant, "chrono-compatible low-level date algorithms") -----------

function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y
  const era = Math.floor(yy / 400)
  const yoe = yy - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

function civilFromDays(n: number): { y: number; m: number; d: number } {
  const z = n + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d }
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31
}
