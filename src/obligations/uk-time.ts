// Times a person reads (docs/obligations.md): every deadline and time in a notice or on the
// acknowledgement page is written in UK local time in words, next to the ISO form. Europe/London
// comes from Intl (full ICU ships with Node 20), so BST and GMT need no table here.

const DAY = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' })
const CLOCK = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })

/** "Monday 7 December 2026" (the UK calendar day at the instant). */
export function ukDayWords(epochMs: number): string {
  return DAY.format(epochMs).replace(',', '')
}

/** "14:05 on Thursday 2 April 2026, UK time". */
export function ukTimeWords(epochMs: number): string {
  return `${CLOCK.format(epochMs)} on ${ukDayWords(epochMs)}, UK time`
}

/**
 * A deadline is the end of a UK day (the epoch ms of the next day's 00:00 Europe/London):
 * "the end of Monday 7 December 2026, UK time".
 */
export function ukDeadlineWords(dueAt: number): string {
  return `the end of ${ukDayWords(dueAt - 1)}, UK time`
}

/** "2 days 3 hours", "45 minutes": how long, for a person (rounded down to the minute). */
export function durationWords(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000))
  const parts: [number, string][] = [[Math.floor(minutes / 1440), 'day'], [Math.floor(minutes / 60) % 24, 'hour'], [minutes % 60, 'minute']]
  const said = parts.filter(([n]) => n > 0).slice(0, 2).map(([n, unit]) => `${n} ${unit}${n === 1 ? '' : 's'}`)
  return said.length === 0 ? 'less than a minute' : said.join(' ')
}
