// Calendar dates `YYYY-MM-DD` <-> day numbers (days since 1970-01-01, proleptic Gregorian).
// Integer civil-date algorithms (H. Hinnant, "chrono-compatible low-level date algorithms"):
// no Date objects on the hot path. Pure, no imports: the registry (stored day numbers, the day a
// message is judged at) and the obligations calendar (working days, deadlines) both build on it.

export const MS_PER_DAY = 86_400_000

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

const pad2 = (n: number) => (n < 10 ? '0' : '') + n

/** `YYYY-MM-DD` of a day number. */
export function formatDay(n: number): string {

  const { y, m, d } = civilFromDays(n)
  return `${String(y).padStart(4, '0')}-${pad2(m)}-${pad2(d)}`
}
