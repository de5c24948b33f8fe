// Header/ResponseDateTime is xs:dateTime: YYYY-MM-DDThh:mm:ss(.s+)?(Z|(+|-)hh:mm)?
// A value without a zone is "local time" in XSD terms; the DCC writes UTC, so a zoneless value is
// treated as UTC here (documented choice: the alternative, the gateway host's zone, would make
// routing depend on where the gateway runs).

const DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$/

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function daysIn(year: number, month: number): number {
  if (month === 2 && (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return 29
  return DAYS[month - 1]!
}

/** Epoch milliseconds of an xs:dateTime (fraction truncated to ms), or undefined when invalid. */
export function parseDuisDateTime(value: string): number | undefined {
  const m = DATE_TIME.exec(value)
  if (m === null) return undefined
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const hour = Number(m[4])
  const minute = Number(m[5])
  const second = Number(m[6])
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined
  if (minute > 59 || second > 59) return undefined
  // xs:dateTime allows 24:00:00 (= next midnight) only with zero minutes, seconds and fraction.
  const frac = m[7] ?? ''
  if (hour > 24 || (hour === 24 && (minute !== 0 || second !== 0 || /[1-9]/.test(frac)))) return undefined
  const ms = frac === '' ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'))
  let t = Date.UTC(year, month - 1, day, hour, minute, second, ms)
  if (year < 100) t = new Date(t).setUTCFullYear(year) // Date.UTC maps 0..99 to 1900..1999
  const zone = m[8]
  if (zone !== undefined && zone !== 'Z') {
    const oh = Number(zone.slice(1, 3))
    const om = Number(zone.slice(4, 6))
    if (oh > 14 || om > 59 || (oh === 14 && om !== 0)) return undefined
    const offset = (oh * 60 + om) * 60_000
    t = zone[0] === '+' ? t - offset : t + offset
  }
  return Number.isFinite(t) ? t : undefined
}
