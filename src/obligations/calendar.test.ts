import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createCalendar, type CalendarRegion } from './calendar.js'

const utc = (iso: string) => Date.parse(iso)
const ew = createCalendar({ region: 'england-and-wales' })
const sct = createCalendar({ region: 'scotland' })

interface GovUkFeed { [division: string]: { events: { title: string; date: string }[] } }
const feed = JSON.parse(
  readFileSync(new URL('../../test/fixtures/calendar/uk-bank-holidays.json', import.meta.url), 'utf8'),
) as GovUkFeed

describe('bank holidays (domain §9 table)', () => {
  for (const [region, cal] of [['england-and-wales', ew], ['scotland', sct]] as const) {
    for (const year of [2025, 2026, 2027]) {
      it(`${region} ${year} matches the fixture`, () => {
        const expected = feed[region satisfies CalendarRegion]!.events.map((e) => e.date).filter((d) => d.startsWith(`${year}-`))
        expect(cal.bankHolidays(year)).toEqual(expected)
        for (const d of expected) expect(cal.isWorkingDay(d), d).toBe(false)
      })
    }
  }

  it('substitute days, not the weekend holiday itself', () => {
    expect(ew.bankHolidays(2026)).toContain('2026-12-28') // Boxing Day (Sat) substitute
    expect(sct.bankHolidays(2027)).toContain('2027-01-04') // 2 January (Sat) substitute
    expect(sct.bankHolidays(2025)).toContain('2025-12-01') // St Andrew's Day (Sun) substitute
    expect(sct.bankHolidays(2025)).not.toContain('2025-11-30')
  })

  it('weekends are not working days; Scotland works Easter Monday', () => {
    expect(ew.isWorkingDay('2026-12-27')).toBe(false)
    expect(ew.isWorkingDay('2025-04-21')).toBe(false)
    expect(sct.isWorkingDay('2025-04-21')).toBe(true)
  })
})

describe('counting working days', () => {
  it('addWorkingDays / nextWorkingDay across Christmas and New Year', () => {
    expect(ew.nextWorkingDay('2026-12-24')).toBe('2026-12-29')
    expect(ew.addWorkingDays('2026-12-24', 3)).toBe('2026-12-31')
    expect(ew.addWorkingDays('2026-12-24', 4)).toBe('2027-01-04')
    expect(sct.addWorkingDays('2026-12-24', 4)).toBe('2027-01-05')
    expect(ew.addWorkingDays('2026-12-29', -1)).toBe('2026-12-24')
    expect(ew.addWorkingDays('2026-12-26', 0)).toBe('2026-12-26')
  })

  it('workingDaysBetween counts (from, to]', () => {
    expect(ew.workingDaysBetween('2026-12-24', '2026-12-29')).toBe(1)
    expect(ew.workingDaysBetween('2026-12-24', '2026-12-24')).toBe(0)
    expect(ew.workingDaysBetween('2025-01-01', '2025-12-31')).toBe(253) // 261 weekdays - 8
    expect(ew.workingDaysBetween('2025-12-31', '2025-01-01')).toBe(-253)
    for (const from of ['2025-04-17', '2026-12-24', '2027-01-02']) {
      for (let k = 0; k < 30; k++) {
        const to = ew.addWorkingDays(from, k)
        expect(ew.workingDaysBetween(from, to)).toBe(k)
      }
    }
  })

  it('rejects non-integer counts', () => {
    expect(() => ew.addWorkingDays('2026-01-05', 1.5)).toThrow(RangeError)
    expect(() => ew.deadline(0, -1)).toThrow(RangeError)
  })
})

describe('deadline: end (24:00 Europe/London) of the n-th working day', () => {
  it('Christmas run E&W: 2026-12-24 -> end of 2026-12-29', () => {
    expect(ew.deadline(utc('2026-12-24T10:00Z'), 1)).toBe(utc('2026-12-30T00:00Z'))
  })

  it('Easter 2025 and 2026 (BST: end of day is 23:00 UTC)', () => {
    expect(ew.deadline(utc('2025-04-17T12:00Z'), 1)).toBe(utc('2025-04-22T23:00Z'))
    expect(sct.deadline(utc('2025-04-17T12:00Z'), 1)).toBe(utc('2025-04-21T23:00Z'))
    expect(ew.deadline(utc('2026-04-02T12:00Z'), 1)).toBe(utc('2026-04-07T23:00Z'))
    expect(ew.deadline(utc('2026-04-02T12:00Z'), 5)).toBe(utc('2026-04-13T23:00Z')) // install code, 5 WD
  })

  it("St Andrew's Day makes Scotland later than E&W", () => {
    // 2026-11-27 is a Friday; 2026-11-30 (Mon) is St Andrew's Day.
    expect(ew.deadline(utc('2026-11-27T15:00Z'), 1)).toBe(utc('2026-12-01T00:00Z'))
    expect(sct.deadline(utc('2026-11-27T15:00Z'), 1)).toBe(utc('2026-12-02T00:00Z'))
    // 2025: St Andrew's Day is a Sunday, substitute Monday 2025-12-01.
    expect(ew.deadline(utc('2025-11-28T15:00Z'), 1)).toBe(utc('2025-12-02T00:00Z'))
    expect(sct.deadline(utc('2025-11-28T15:00Z'), 1)).toBe(utc('2025-12-03T00:00Z'))
  })

  it('Scottish 2 January substitute (2027-01-04)', () => {
    expect(ew.deadline(utc('2026-12-31T09:00Z'), 1)).toBe(utc('2027-01-05T00:00Z'))
    expect(sct.deadline(utc('2026-12-31T09:00Z'), 1)).toBe(utc('2027-01-06T00:00Z'))
  })

  it('an alert on a non-working day is due the end of the next working day after its date (issue 15)', () => {
    expect(ew.deadline(utc('2025-06-14T12:00Z'), 1)).toBe(utc('2025-06-16T23:00Z')) // Sat -> end of Mon
    expect(ew.deadline(utc('2025-06-14T12:00Z'), 0)).toBe(utc('2025-06-16T23:00Z')) // Sat -> end of Mon
    expect(ew.deadline(utc('2025-06-13T12:00Z'), 0)).toBe(utc('2025-06-13T23:00Z')) // Fri -> end of Fri
  })

  it('the London date decides, not the UTC date', () => {
    expect(ew.deadline(utc('2025-06-13T22:30Z'), 1)).toBe(utc('2025-06-16T23:00Z')) // Fri 23:30 BST
    expect(ew.deadline(utc('2025-06-13T23:30Z'), 1)).toBe(utc('2025-06-16T23:00Z')) // Sat 00:30 BST -> end of Mon
    // 2025-03-29T23:30Z is Saturday 29 March (GMT): due the end of Mon 31 March (BST).
    expect(ew.deadline(utc('2025-03-29T23:30Z'), 1)).toBe(utc('2025-03-31T23:00Z'))
    // 2025-10-25T23:30Z is 00:30 BST on Sunday 26 October: due the end of Mon 27 (GMT).
    expect(ew.deadline(utc('2025-10-25T23:30Z'), 1)).toBe(utc('2025-10-28T00:00Z'))
  })

  it('deadline in BST vs GMT', () => {
    expect(ew.deadline(utc('2025-03-28T10:00Z'), 1)).toBe(utc('2025-03-31T23:00Z')) // Mon 31 Mar is BST
    expect(ew.deadline(utc('2025-10-24T10:00Z'), 1)).toBe(utc('2025-10-28T00:00Z')) // Mon 27 Oct is GMT
  })
})

describe('extra days', () => {
  it('one-off closures: 2022-09-19 (state funeral) is already a holiday; extras add more', () => {
    expect(ew.isWorkingDay('2022-09-19')).toBe(false)
    const cal = createCalendar({ region: 'england-and-wales', extraNonWorkingDays: ['2026-09-18'] })
    expect(cal.isWorkingDay('2026-09-18')).toBe(false)
    expect(cal.deadline(utc('2026-09-17T10:00Z'), 1)).toBe(utc('2026-09-21T23:00Z'))
    expect(ew.deadline(utc('2026-09-17T10:00Z'), 1)).toBe(utc('2026-09-18T23:00Z'))
  })

  it('extraWorkingDays wins over holidays, weekends and extraNonWorkingDays', () => {
    const cal = createCalendar({
      region: 'england-and-wales',
      extraWorkingDays: ['2026-12-28', '2026-12-26', '2026-09-18'],
      extraNonWorkingDays: ['2026-09-18'],
    })
    expect(cal.isWorkingDay('2026-12-28')).toBe(true)
    expect(cal.isWorkingDay('2026-12-26')).toBe(true)
    expect(cal.isWorkingDay('2026-09-18')).toBe(true)
    expect(cal.deadline(utc('2026-12-24T10:00Z'), 1)).toBe(utc('2026-12-27T00:00Z'))
  })

  it('rejects malformed extra dates', () => {
    expect(() => createCalendar({ region: 'scotland', extraNonWorkingDays: ['2026-02-30'] })).toThrow(RangeError)
  })
})
