// Times a person reads (docs/obligations.md): every deadline and time in a notice or on the
// acknowledgement page is written in UK local time in words, next to the ISO form. Europe/London
// comes from Intl (full ICU ships with Node 20), so BST and GMT need no table here.

const DAY = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' })
const CLOCK = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })

const HOUR_MS = 3_600_000
const intlDayWords = (epochMs: number): string => DAY.format(epochMs).replace(',', '')

/**
 * The UK clock hour and day of each UTC hour, formatted once. Since 1847 London's offset from UTC
 * is a whole number of hours that changes only on a UTC hour, so within one UTC hour the UK date
 * and hour are fixed and the minutes are UTC's; an hour whose formatted clock is not on the hour
 * (an offset in minutes) is not cached and each call asks Intl. ICU formatting costs microseconds
 * and cache misses on the hot path: every forwarded critical alert's notice says two times.
 */
interface UkHour { clock: string; day: string }
const hours = new Map<number, UkHour | null>()
/** The cached hour of the instant; null when it cannot be cached (not finite, or not on the hour). */
function ukHour(epochMs: number): UkHour | null {
  if (!Number.isFinite(epochMs)) return null
  const start = Math.floor(epochMs / HOUR_MS) * HOUR_MS
  let h = hours.get(start)
  if (h === undefined) {
    const clock = CLOCK.format(start)
    h = clock.endsWith(':00') ? { clock: clock.slice(0, -3), day: intlDayWords(start) } : null
    if (hours.size >= 4096) hours.clear()
    hours.set(start, h)
  }
  return h
}

/** "Monday 7 December 2026" (the UK calendar day at the instant). */
export function ukDayWords(epochMs: number): string {
  return ukHour(epochMs)?.day ?? intlDayWords(epochMs)
}

/** "14:05 on Thursday 2 April 2026, UK time". */
export function ukTimeWords(epochMs: number): string {
  const h = ukHour(epochMs)
  if (h === null) return `${CLOCK.format(epochMs)} on ${intlDayWords(epochMs)}, UK time`
  const minute = Math.floor(epochMs / 60_000) - Math.floor(epochMs / HOUR_MS) * 60
  return `${h.clock}:${minute < 10 ? '0' : ''}${minute} on ${h.day}, UK time`
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
