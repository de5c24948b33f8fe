// Stored day numbers (days since 1970-01-01; src/dates/civil.ts does the calendar arithmetic): the
// registry keeps supply dates as Uint16 (registry-index.ts), so dates lie in 1970-01-01..2149-06-06
// and 0xFFFF marks an open end. Parsing checks that range; no Date objects on the hot path.
import { daysFromCivil, daysInMonth } from '../dates/index.js'

export { formatDay } from '../dates/index.js'

/**
 * Stored day numbers are Uint16 (registry-index.ts), so dates must lie in 1970-01-01..2149-06-06.
 * 0xFFFF marks an open end.
 */
export const OPEN_DAY = 0xffff
export const MIN_YEAR = 1970
export const MAX_DAY = OPEN_DAY - 1

function digitAt(c: number): number {
  const v = c - 48
  return v >= 0 && v <= 9 ? v : -100_000
}

/** Day number from 10 char codes `YYYY-MM-DD` at `off`; -1 when not a real date in 1970..2149. */
export function parseDayCodes(a: Uint8Array, off: number, len: number): number {
  if (len !== 10 || a[off + 4] !== 45 || a[off + 7] !== 45) return -1
  const y = digitAt(a[off]!) * 1000 + digitAt(a[off + 1]!) * 100 + digitAt(a[off + 2]!) * 10 + digitAt(a[off + 3]!)
  const m = digitAt(a[off + 5]!) * 10 + digitAt(a[off + 6]!)
  const d = digitAt(a[off + 8]!) * 10 + digitAt(a[off + 9]!)
  return checkedDay(y, m, d)
}

/** Day number of a `YYYY-MM-DD` string; -1 when not a real calendar date in the stored range. */
export function parseDay(s: string): number {
  if (s.length !== 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return -1
  const c = (i: number) => digitAt(s.charCodeAt(i))
  return checkedDay(c(0) * 1000 + c(1) * 100 + c(2) * 10 + c(3), c(5) * 10 + c(6), c(8) * 10 + c(9))
}

function checkedDay(y: number, m: number, d: number): number {
  if (y < MIN_YEAR || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return -1
  const n = daysFromCivil(y, m, d)
  return n > MAX_DAY ? -1 : n
}
