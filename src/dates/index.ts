// Calendar dates (the front door of src/dates; architecture.md): day numbers <-> `YYYY-MM-DD`, and
// the UK local date (Europe/London, BST computed) of an instant. Pure and import-free, so that both
// the registry (the day a message is judged at, stored supply dates) and the obligations calendar
// (working days, deadlines) use one implementation without importing each other.
export { MS_PER_DAY, civilFromDays, daysFromCivil, daysInMonth, formatDay } from './civil.js'
export { bstWindow, ukDayNumberOf, ukDayOf } from './uk-day.js'
