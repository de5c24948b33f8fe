// Front door of src/obligations (working-day calendar; acknowledgement duties to follow).
export { createCalendar } from './calendar.js'
export type { CalendarOptions, CalendarRegion, WorkingDayCalendar } from './calendar.js'
export {
  addDays, dateOfDayNumber, dayNumber, isIsoDate, ukDateOf, ukDayNumberOf, ukMidnightUtc, weekday, isWeekend,
} from './days.js'
export type { IsoDate } from './days.js'
