// Working-day calendar for obligation deadlines (gov.uk bank holidays; docs/obligations.md).
//
// A working day is a weekday that is not a bank holiday of the configured region (Banking and
// Financial Dealings Act 1971 holidays, as published on gov.uk; Scotland adds 2 January and
// St Andrew's Day, drops Easter Monday and moves the summer holiday to early August).
// `extraNonWorkingDays` adds one-off closures (e.g. Xoserve's 19 Sep 2022); `extraWorkingDays`
// wins over everything, weekends and the other list included.
import Holidays from 'date-holidays'
import {
  dateOfDayNumber, dayNumber, ukDayNumberOf, ukMidnightUtcOfDayNumber, weekdayOfDayNumber, yearOfDayNumber,
  type IsoDate,
} from './days.js'

export type CalendarRegion = 'england-and-wales' | 'scotland'

export interface CalendarOptions {
  readonly region: CalendarRegion
  readonly extraNonWorkingDays?: readonly IsoDate[]
  readonly extraWorkingDays?: readonly IsoDate[]
}

export interface WorkingDayCalendar {
  readonly region: CalendarRegion
  isWorkingDay(date: IsoDate): boolean
  /** The n-th working day after `date` (before it when n < 0); n = 0 returns `date` unchanged. */
  addWorkingDays(date: IsoDate, n: number): IsoDate
  /** The first working day strictly after `date`. */
  nextWorkingDay(date: IsoDate): IsoDate
  /**
   * Working days d with from < d <= to (`from` itself is not counted), so that
   * addWorkingDays(from, workingDaysBetween(from, to)) is the last working day <= to.
   * Negative when to < from.
   */
  workingDaysBetween(fromDate: IsoDate, toDate: IsoDate): number
  /** Epoch ms at which `workingDays` (>= 0) working days from the instant `epochMs` run out; see deadlineAt. */
  deadline(epochMs: number, workingDays: number): number
  /** The region's bank holidays in `year` that fall on weekdays, before the extra lists apply. */
  bankHolidays(year: number): readonly IsoDate[]
}

const STATE: Record<CalendarRegion, string> = { 'england-and-wales': 'ENG', scotland: 'SCT' }

export function createCalendar(options: CalendarOptions): WorkingDayCalendar {
  const { region } = options
  const holidays = new Holidays('GB', STATE[region])
  const extraOff = new Set((options.extraNonWorkingDays ?? []).map(dayNumber))
  const extraOn = new Set((options.extraWorkingDays ?? []).map(dayNumber))
  const holidayCache = new Map<number, ReadonlySet<number>>()

  function holidayDays(year: number): ReadonlySet<number> {
    let days = holidayCache.get(year)
    if (!days) {
      days = new Set(publicWeekdayHolidays(holidays, year).map(dayNumber))
      holidayCache.set(year, days)
    }
    return days
  }

  function isWorking(n: number): boolean {
    if (extraOn.has(n)) return true
    const wd = weekdayOfDayNumber(n)
    if (wd === 0 || wd === 6 || extraOff.has(n)) return false
    return !holidayDays(yearOfDayNumber(n)).has(n)
  }

  function addWorking(n: number, count: number): number {
    const step = count < 0 ? -1 : 1
    for (let left = Math.abs(count); left > 0; ) {
      n += step
      if (isWorking(n)) left--
    }
    return n
  }

  function between(from: number, to: number): number {
    if (to < from) return -between(to, from)
    let count = 0
    for (let n = from + 1; n <= to; n++) if (isWorking(n)) count++
    return count
  }

  return {
    region,
    isWorkingDay: (date) => isWorking(dayNumber(date)),
    addWorkingDays: (date, n) => dateOfDayNumber(addWorking(dayNumber(date), checkCount(n))),
    nextWorkingDay: (date) => dateOfDayNumber(addWorking(dayNumber(date), 1)),
    workingDaysBetween: (fromDate, toDate) => between(dayNumber(fromDate), dayNumber(toDate)),
    deadline: (epochMs, workingDays) => deadlineAt(isWorking, epochMs, checkCount(workingDays, 0)),
    bankHolidays: (year) => publicWeekdayHolidays(holidays, year),
  }
}

/**
 * SEC "Managing Critical Alerts" guidance: forward a critical alert within 1 working day and
 * acknowledge it within 1 working day. The rule (docs/obligations.md): due is the end of the
 * n-th working day after the Europe/London date of the instant (of the alert, not of its receipt):
 *  - n >= 1: the end of addWorkingDays(date, n), whether or not `date` itself is a working day
 *    (Thursday -> end of Friday; Saturday -> end of Monday, the next working day after it);
 *  - n = 0: the end of `date` when it is a working day, else of the next working day.
 * "End of day" is 24:00 Europe/London, i.e. the epoch ms of 00:00 on the following date, which
 * is 23:00 UTC during BST and 00:00 UTC during GMT.
 */
function deadlineAt(isWorking: (n: number) => boolean, epochMs: number, workingDays: number): number {
  let day = ukDayNumberOf(epochMs)
  if (workingDays === 0) while (!isWorking(day)) day++
  for (let left = workingDays; left > 0; ) if (isWorking(++day)) left--
  return ukMidnightUtcOfDayNumber(day + 1)
}

// date-holidays (GB/ENG, GB/SCT) lists observances too, and the weekend holiday itself beside its
// weekday substitute (2026-12-26 Sat and 2026-12-28 "Boxing Day (substitute day)"): keep
// `type === 'public'` on Monday..Friday, which reproduces the gov.uk table (fixture
// test/fixtures/calendar/uk-bank-holidays.json).
function publicWeekdayHolidays(holidays: Holidays, year: number): IsoDate[] {
  const out = new Set<IsoDate>()
  for (const h of holidays.getHolidays(year)) {
    if (h.type !== 'public') continue
    const date = h.date.slice(0, 10)
    const wd = weekdayOfDayNumber(dayNumber(date))
    if (wd !== 0 && wd !== 6) out.add(date)
  }
  return [...out].sort()
}

function checkCount(n: number, min?: number): number {
  if (Number.isSafeInteger(n) && (min === undefined || n >= min)) return n
  throw new RangeError(`working days must be an integer${min === undefined ? '' : ` >= ${min}`}, got ${n}`)
}
