// Calendar dates `YYYY-MM-DD` <-> day numbers (days since 1970-01-01, proleptic Gregorian).
// Integer civil-date algorithms (H. Hinnant, "chrono-compatible low-level date algorithms"):
// no Date objects on the hot path.

export const MS_PER_DAY = 86_400_000
/**
 * Stored day numbers are Uint16 (registry-index.ts), so dates must lie in 1970-01-01..2149-06-06.
 * 0xFFFF marks an open end.
 */
export const OPEN_DAY = 0xffff
export const MIN_YEAR = 1970
export const MAX_DAY = OPEN_DAY - 1

/** Day number of a civil date (month 1..12); no range checks. */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31
}

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

const pad2 = (n: number) => (n < 10 ? '0' : '') + n

/** Civil date of a day number (Hinnant's civil_from_days). */
export function civilFromDays(n: number): { y: number; m: number; d: number } {
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

/** `YYYY-MM-DD` of a day number (years 0..9999). */
export function formatDay(n: number): string {
  const { y, m, d } = civilFromDays(n)
  return `${String(y).padStart(4, '0')}-${pad2(m)}-${pad2(d)}`
}
