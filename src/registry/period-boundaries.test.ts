// Period boundaries (docs/decisions.md, "Dates") on the compact layout: the day before / on / after a
// supply start date, several CoS in a row, a device moving premises, an MPxN with no periods, a
// user ID in any case; plus the batched lookup agreeing with single lookups, and rule 5 (history).
import { describe, expect, it } from 'vitest'
import type { Envelope, HeaderId } from '../envelope/index.js'
import { writeWorld } from '../../test/fixtures/registry/world.js'
import { parseDay } from './day.js'
import { mpxnKey } from './keys.js'
import { loadRegistry } from './load.js'
import { lookupFacts } from './lookup.js'
import { deviceAlertEnvelope } from '../../test/support/envelopes.js'

const ACME_USER = '90-B3-D5-1F-30-01-00-00'
const METER = '00-12-34-56-78-AB-CD-EF'
const id = (o: string, t: string): HeaderId => ({ raw: `${o}:${t}:1`, originator: o, target: t, counter: '1' })
const env = (iso: string, over: Partial<Envelope> = {}): Envelope =>
  deviceAlertEnvelope(Date.parse(iso), { responseDateTime: iso, responseId: id(METER, ACME_USER), ...over })
const OPTS = { maxRejectRatio: 0 }
// CoS chain ACME -> BRIT (2024-05-01) -> CEEE (2025-02-03) -> ACME (2025-06-10) -> BRIT (2025-09-01)
const CHAIN = ['ACME,2020-01-01', 'BRIT,2024-05-01', 'CEEE,2025-02-03', 'ACME,2025-06-10', 'BRIT,2025-09-01']
const REGS = CHAIN.map((c) => `1200012345679,${c}`).join('\n') + '\n1412345678901,ACME,2024-01-01\n'

describe('period boundaries on the compact index', () => {
  it('the day before, on and after each supply start date of several CoS in a row', async () => {
    const { index } = await loadRegistry(writeWorld(REGS, `${METER},ESME,1200012345679\n`), OPTS)
    const at = (iso: string) => lookupFacts(env(iso), index).mpxns[0]!
    expect(index.periods('1200012345679').map((p) => p.mpid)).toEqual(['ACME', 'BRIT', 'CEEE', 'ACME', 'BRIT'])
    for (const [day, before, on] of [['2024-05-01', 'ACME', 'BRIT'], ['2025-02-03', 'BRIT', 'CEEE'], ['2025-06-10', 'CEEE', 'ACME'], ['2025-09-01', 'ACME', 'BRIT']] as const) {
      const prev = new Date(Date.parse(`${day}T12:00:00Z`) - 86_400_000).toISOString()
      const next = new Date(Date.parse(`${day}T12:00:00Z`) + 86_400_000).toISOString()
      expect(at(prev).period?.mpid, `day before ${day}`).toBe(before)
      expect(at(`${day}T12:00:00Z`).period?.mpid, `on ${day}`).toBe(on)
      expect(at(next).period?.mpid, `day after ${day}`).toBe(on)
    }
    expect(at('2019-12-31T12:00:00Z').period).toBeUndefined()
    // ACME's most recent lost period is the one that ended when it lost the MPxN last
    expect(at('2025-03-01T12:00:00Z').recipientLastPeriod).toEqual({ mpid: 'ACME', from: '2020-01-01', to: '2024-04-30' })
    expect(at('2025-07-01T12:00:00Z').recipientLastPeriod).toEqual({ mpid: 'ACME', from: '2020-01-01', to: '2024-04-30' })
    expect(at('2025-10-01T12:00:00Z').recipientLastPeriod).toEqual({ mpid: 'ACME', from: '2025-06-10', to: '2025-08-31' })
    // BST: 2025-08-31T23:30Z is already 2025-09-01 in London
    expect(at('2025-08-31T23:30:00Z').period?.mpid).toBe('BRIT')
    expect(at('2025-08-31T22:59:00Z').period?.mpid).toBe('ACME')
  })

  it('batched lookups agree with single lookups (hits, misses, boundaries)', async () => {
    const { index } = await loadRegistry(writeWorld(REGS, `${METER},ESME,1200012345679\n`), OPTS)
    const mpxns = ['1200012345679', '1412345678901', '1999999999999', '3938424403']
    const keys = Float64Array.from(mpxns.map(mpxnKey))
    const out = new Int32Array(keys.length)
    for (const day of ['2019-12-31', '2020-01-01', '2024-04-30', '2024-05-01', '2025-06-09', '2025-06-10', '2030-01-01']) {
      index.lookupKeys(keys, parseDay(day), out)
      mpxns.forEach((m, i) => {
        const single = index.periodAt(m, day)
        if (out[i] === -2) expect(index.periods(m)).toEqual([])
        else expect(out[i]! >= 0 ? index.period(out[i]!) : undefined, `${m} ${day}`).toEqual(single)
      })
    }
  })

  it('an MPxN with no periods: named by a device, or in the body; unknown either way', async () => {
    const { index } = await loadRegistry(writeWorld(REGS, `${METER},ESME,7452731806\n`), OPTS)
    const f = lookupFacts(env('2025-03-14T08:00:00Z'), index)
    expect(f).toMatchObject({ deviceKnown: true, mpxnSource: 'device', mpxns: [{ mpxn: '7452731806', known: false }] })
    expect(f.mpxns[0]!.period).toBeUndefined()
    expect(index.periods('7452731806')).toEqual([])
    const g = lookupFacts(env('2025-03-14T08:00:00Z', { mpxns: ['7452731806', '1412345678901'] }), index)
    expect(g.mpxns.map((m) => [m.known, m.period?.mpid])).toEqual([[false, undefined], [true, 'ACME']])
  })

  it('a device moving premises between loads; a user ID in any case', async () => {
    const a = await loadRegistry(writeWorld(REGS, `${METER},ESME,1200012345679\n`), OPTS)
    const b = await loadRegistry(writeWorld(REGS, `${METER},ESME,1412345678901\n`), OPTS)
    const e = env('2025-03-14T08:00:00Z', { responseId: id(METER.toLowerCase(), ACME_USER.toLowerCase()) })
    expect(lookupFacts(e, a.index).mpxns.map((m) => [m.mpxn, m.period?.mpid])).toEqual([['1200012345679', 'CEEE']])
    expect(lookupFacts(e, b.index).mpxns.map((m) => [m.mpxn, m.period?.mpid])).toEqual([['1412345678901', 'ACME']])
    expect(lookupFacts(e, b.index).recipient).toMatchObject({ partyId: 'ACME', role: 'IS' })
  })

  it('keeps the most recent 63 periods of an MPxN and reports the rest (rule 5)', async () => {
    const rows = Array.from({ length: 70 }, (_, i) => `1200012345679,${i % 2 ? 'BRIT' : 'ACME'},${2000 + i}-01-01`)
    const { index, report } = await loadRegistry(writeWorld(rows.join('\n') + '\n', `${METER},ESME,1200012345679\n`), OPTS)
    const ps = index.periods('1200012345679')
    expect(ps).toHaveLength(63)
    expect(ps[0]!.from).toBe('2007-01-01')
    expect(ps[62]).toEqual({ mpid: 'BRIT', from: '2069-01-01' })
    expect(report.overlaps).toBe(7)
    expect(report.overlapSamples[0]!.reason).toMatch(/more than 63 supply periods/)
  })
})
