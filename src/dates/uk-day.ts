// UK local calendar day (Europe/London) of an instant. Responsibility is judged at the UK local
// date of ResponseDateTime (the supply start date is a UK settlement date), so BST matters:
// 2025-06-30T23:30Z is 2025-07-01 in London.
//
// Since 1996 the UK follows the EU rule (Summer Time Order 2002): BST runs from 01:00 UTC on the
// last Sunday of March to 01:00 UTC on the last Sunday of October. Transitions are computed once
// per year and cached; years outside 1996..2199 fall back to Intl (slow, but never seen live).
import { daysFromCivil, formatDay, MS_PER_DAY } from './civil.js'

const FIRST = 1996
const LAST = 2199
const HOUR = 3_600_000
/** [bstStartMs, bstEndMs] per year - FIRST, filled lazily */
const cache = new Float64Array((LAST - FIRST + 1) * 2).fill(NaN)

function lastSundayDay(y: number, m: number): number {
  const last = daysFromCivil(y, m + 1, 1) - 1 // m is 3 or 10, so m + 1 stays in the year
  const dow = (last + 4) % 7 // 1970-01-01 was a Thursday (4); 0 = Sunday
  return last - dow
}

function transitions(y: number): number {
  const i = (y - FIRST) * 2
  if (Number.isNaN(cache[i]!)) {
    cache[i] = lastSundayDay(y, 3) * MS_PER_DAY + HOUR
    cache[i + 1] = lastSundayDay(y, 10) * MS_PER_DAY + HOUR
  }
  return i
}

/** [start, end) of BST in year `y` (epoch ms): 01:00 UTC on the last Sundays of March and October. */
export function bstWindow(y: number): readonly [start: number, end: number] {
  if (y < FIRST || y > LAST) return [lastSundayDay(y, 3) * MS_PER_DAY + HOUR, lastSundayDay(y, 10) * MS_PER_DAY + HOUR]
  const i = transitions(y)
  return [cache[i]!, cache[i + 1]!]
}

let yStart = 0
let yEnd = -1
let yCached = 0
function yearOfDay(day: number): number {
  if (day >= yStart && day < yEnd) return yCached
  const y = new Date(day * MS_PER_DAY).getUTCFullYear()
  yStart = daysFromCivil(y, 1, 1)
  yEnd = daysFromCivil(y + 1, 1, 1)
  yCached = y
  return y
}

const intlFmt = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' })

/** Day number (days since 1970-01-01) of the UK local date at `epochMs`. */
export function ukDayNumberOf(epochMs: number): number {
  const utcDay = Math.floor(epochMs / MS_PER_DAY)
  // year of the UTC day; the BST window never straddles a year end, so this is the right year
  const y = yearOfDay(utcDay)
  if (y < FIRST || y > LAST) {
    const [yy, mm, dd] = intlFmt.format(epochMs).split('-').map(Number) as [number, number, number]
    return daysFromCivil(yy, mm, dd)
  }
  const i = transitions(y)
  const bst = epochMs >= cache[i]! && epochMs < cache[i + 1]!
  return bst ? Math.floor((epochMs + HOUR) / MS_PER_DAY) : utcDay
}

let lastDay = NaN
let lastStr = ''

/** UK local date `YYYY-MM-DD` at `epochMs` (Europe/London). */
export function ukDayOf(epochMs: number): string {
  const n = ukDayNumberOf(epochMs)
  if (n !== lastDay) {
    lastDay = n
    lastStr = formatDay(n)
  }
  return lastStr
}
