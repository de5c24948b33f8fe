import { beforeAll, describe, expect, it } from 'vitest'
import type { Envelope, HeaderId } from '../envelope/index.js'
import { loadRegistry } from './load.js'
import { deviceFactsFromLinks, factsFromPeriods, lookupFacts } from './lookup.js'
import type { CompactRegistry } from './registry-index.js'
import { PARTIES_YAML, writeWorld } from '../../test/fixtures/registry/world.js'
import type { RegistryIndex } from './types.js'
import { deviceAlertEnvelope } from '../../test/support/envelopes.js'

const ACME_USER = '90-B3-D5-1F-30-01-00-00'
const SOLAR_USER = '90-B3-D5-1F-30-05-00-00'
const DCC = '90-B3-D5-1F-30-00-00-02'
const METER = '00-12-34-56-78-AB-CD-EF'
const CHF = '00-12-34-56-78-AB-CD-F3'
const id = (originator: string, target: string): HeaderId => ({ raw: `${originator}:${target}:1`, originator, target, counter: '1' })

function env(over: Partial<Envelope>): Envelope {
  return deviceAlertEnvelope(Date.parse('2025-03-14T08:15:30Z'), over)
}

let index: CompactRegistry
beforeAll(async () => {
  const regs = [
    '1200012345679,ACME,2023-01-01', '1200012345679,BRIT,2025-03-01', // CoS Acme -> Brite on 2025-03-01
    '1200012345679,ACME,2025-09-01', //                                    ...and back
    '3938424403,ACMG,2024-01-01', '1312345678907,SOLR,2021-05-01', '1800021679848,CEEE,2020-01-01',
  ].join('\n')
  const devs = [`${METER},ESME,1200012345679`, `${CHF},CHF,1200012345679`, `${CHF},CHF,3938424403`,
    '00-12-34-56-78-AB-CD-F4,ESME,1312345678907', '00-12-34-56-78-AB-CD-F9,GSME,500301'].join('\n')
  index = (await loadRegistry(writeWorld(regs, devs), { maxRejectRatio: 0 })).index
})

describe('lookupFacts', () => {
  it('device alert after an unfinished CoS: device from ResponseID, period of the gaining supplier, recipient last period', () => {
    const f = lookupFacts(env({ responseId: id(METER, ACME_USER) }), index)
    expect(f).toMatchObject({ messageDay: '2025-03-14', recipientUserId: ACME_USER, deviceId: METER, deviceKnown: true, mpxnSource: 'device' })
    // SOLAR delegates to ACME on 2025-03-14 (SRP): its MPIDs count as ACME's (docs/decisions.md, "Never supplied")
    expect(f.recipient).toEqual({ partyId: 'ACME', role: 'IS', mpids: ['ACME', 'ACMG', 'SOLR'] })
    expect(f.mpxns).toEqual([{
      mpxn: '1200012345679', known: true,
      period: { mpid: 'BRIT', from: '2025-03-01', to: '2025-08-31', partyId: 'BRITE', reachable: true },
      recipientLastPeriod: { mpid: 'ACME', from: '2023-01-01', to: '2025-02-28' },
    }])
  })
  it('judges at the UK local day: the day before, on and after the supply start date', () => {
    const at = (iso: string) => lookupFacts(env({ responseId: id(METER, ACME_USER), responseTime: Date.parse(iso) }), index).mpxns[0]!
    expect(at('2025-02-28T23:59:59Z').period?.mpid).toBe('ACME')
    expect(at('2025-02-28T23:59:59Z').recipientLastPeriod).toBeUndefined()
    expect(at('2025-03-01T00:00:00Z').period?.mpid).toBe('BRIT')
    expect(at('2025-03-02T12:00:00Z').period?.mpid).toBe('BRIT')
    expect(at('2025-08-31T23:30:00Z').period?.mpid).toBe('ACME') // BST: already 2025-09-01 in London
    expect(at('2025-08-31T23:30:00Z').recipientLastPeriod).toEqual({ mpid: 'ACME', from: '2023-01-01', to: '2025-02-28' })
  })
  it('takes MPxNs from the body of a DCC alert; the DCC is never the device', () => {
    const f = lookupFacts(env({ kind: 'dcc_alert', bodyElement: 'DCCAlertMessage', responseId: id(DCC, ACME_USER), mpxns: ['1200012345679', '9999999999'] }), index)
    expect(f.mpxnSource).toBe('body')
    expect(f.deviceId).toBeUndefined()
    expect(f.mpxns.map((m) => [m.mpxn, m.known, m.period?.partyId])).toEqual([['1200012345679', true, 'BRITE'], ['9999999999', false, undefined]])
  })
  it('finds the device from body DeviceID, SMETS1 originator, RequestID target, GBCS originator', () => {
    const viaBody = lookupFacts(env({ responseId: id(DCC, ACME_USER), deviceIds: [CHF] }), index)
    expect(viaBody.deviceId).toBe(CHF)
    expect(viaBody.mpxns.map((m) => m.mpxn).sort()).toEqual(['1200012345679', '3938424403'])
    expect(lookupFacts(env({ smets1Originator: METER, responseId: id(DCC, ACME_USER) }), index).deviceId).toBe(METER)
    const reqOnly = lookupFacts(env({ requestId: id(ACME_USER, METER) }), index)
    expect(reqOnly).toMatchObject({ recipientUserId: ACME_USER, deviceId: METER, mpxnSource: 'device' })
    const gbcs = lookupFacts(env({ gbcs: { firstByte: 0xdf, originator: METER, recipient: ACME_USER } }), index)
    expect(gbcs).toMatchObject({ recipientUserId: ACME_USER, deviceId: METER, deviceKnown: true })
  })
  it('unknown device, device with an unregistered MPxN, unknown recipient', () => {
    const unknown = lookupFacts(env({ responseId: id('00-00-00-00-00-00-00-01', ACME_USER) }), index)
    expect(unknown).toMatchObject({ deviceKnown: false, mpxnSource: 'none', mpxns: [] })
    const orphan = lookupFacts(env({ responseId: id('00-12-34-56-78-ab-cd-f9', ACME_USER) }), index)
    expect(orphan).toMatchObject({ deviceId: '00-12-34-56-78-AB-CD-F9', deviceKnown: true, mpxnSource: 'device', mpxns: [{ mpxn: '500301', known: false }] })
    const stranger = lookupFacts(env({ responseId: id(METER, '90-B3-D5-1F-30-0F-00-00') }), index)
    expect(stranger.recipientUserId).toBe('90-B3-D5-1F-30-0F-00-00')
    expect(stranger.recipient).toBeUndefined()
    expect(stranger.mpxns[0]!.recipientLastPeriod).toBeUndefined()
  })
  it('recipient user ID in any case; active delegation (SoLR) and an unreachable period party', () => {
    const f = lookupFacts(env({ responseId: id('00-12-34-56-78-AB-CD-F4', SOLAR_USER.toLowerCase()) }), index)
    expect(f.recipient).toMatchObject({ partyId: 'SOLAR', delegateTo: 'ACME' })
    expect(f.mpxns[0]!.period).toMatchObject({ partyId: 'SOLAR', reachable: false })
    const after = lookupFacts(env({ responseId: id('00-12-34-56-78-AB-CD-F4', SOLAR_USER), responseTime: Date.parse('2025-06-01T12:00:00Z') }), index)
    expect(after.recipient?.delegateTo).toBeUndefined()
    const cee = lookupFacts(env({ mpxns: ['1800021679848'] }), index)
    expect(cee.mpxns[0]!.period).toEqual({ mpid: 'CEEE', from: '2020-01-01', partyId: 'CEE', reachable: false })
  })
  // Before the fix the first DeviceID of the body was the subject device, so an
  // SR 8.2 inventory listing a device not in devices.csv became unknown-device.
  it('a response to a DCC service request has no subject device, whatever its body lists', () => {
    const inventory = env({ kind: 'response', bodyElement: 'ResponseMessage', responseContent: 'DSPInventory', hasGbcsPayload: false,
      requestId: id(ACME_USER, DCC), deviceIds: ['00-00-00-00-00-00-00-01', METER], mpxns: ['1999999999999'] })
    const f = lookupFacts(inventory, index)
    expect(f).toMatchObject({ dccService: true, recipient: { partyId: 'ACME' }, deviceKnown: false, mpxnSource: 'none', mpxns: [] })
    expect(f.deviceId).toBeUndefined()
    // the device of a response to a device request still comes from its header
    expect(lookupFacts({ ...inventory, requestId: id(ACME_USER, METER) }, index)).toMatchObject({ deviceId: METER, mpxnSource: 'body' })
  })

  // Before the fix only the DCC Boxed ID was the DCC; another DCC ID was taken
  // for a device (unknown-device).
  it('asks dcc.userIds whether an ID is the DCC', () => {
    const OTHER_DCC = '90-B3-D5-1F-30-00-00-09'
    const ack = env({ kind: 'response', bodyElement: 'ResponseMessage', hasGbcsPayload: false, responseId: id(OTHER_DCC, ACME_USER) })
    expect(lookupFacts(ack, index).deviceId).toBe(OTHER_DCC)
    expect(lookupFacts(ack, index, new Set([OTHER_DCC])).deviceId).toBeUndefined()
    const dsp = env({ kind: 'response', bodyElement: 'ResponseMessage', hasGbcsPayload: false, requestId: id(ACME_USER, OTHER_DCC), deviceIds: [METER] })
    expect(lookupFacts(dsp, index, new Set([OTHER_DCC])).dccService).toBe(true)
    expect(lookupFacts(dsp, index).dccService).toBeUndefined()
  })

  // A delegated (failed) party's lost period counts, and so do its delegate's.
  it("counts the delegate's and the delegator's periods as the addressed party's during a delegation", () => {
    const f = lookupFacts(env({ responseId: id(METER, SOLAR_USER) }), index)
    expect(f.recipient).toEqual({ partyId: 'SOLAR', role: 'IS', mpids: ['SOLR', 'ACME', 'ACMG'], delegateTo: 'ACME' })
    expect(f.mpxns[0]!.recipientLastPeriod).toEqual({ mpid: 'ACME', from: '2023-01-01', to: '2025-02-28' })
    const after = lookupFacts(env({ responseId: id(METER, SOLAR_USER), responseTime: Date.parse('2025-07-01T12:00:00Z') }), index)
    expect(after.recipient?.mpids).toEqual(['SOLR'])
    expect(after.mpxns[0]!.recipientLastPeriod).toBeUndefined()
  })

  // The own parties of each day are kept per party: days that alternate (a backlog replayed, late
  // alerts) each get their own answer, and another index (a reload) is asked again.
  it('answers each day with that day\'s own parties when days alternate, and asks a new index again', async () => {
    const during = () => lookupFacts(env({ responseId: id(METER, SOLAR_USER) }), index).recipient?.mpids
    const after = () => lookupFacts(env({ responseId: id(METER, SOLAR_USER), responseTime: Date.parse('2025-07-01T12:00:00Z') }), index).recipient?.mpids
    for (let k = 0; k < 3; k++) {
      expect(during()).toEqual(['SOLR', 'ACME', 'ACMG'])
      expect(after()).toEqual(['SOLR'])
    }
    // the same parties file without the delegation: on the new index SOLAR's own parties are its own only
    const regs = ['1200012345679,ACME,2023-01-01', '1312345678907,SOLR,2021-05-01'].join('\n')
    const dir = writeWorld(regs, `${METER},ESME,1200012345679`, { parties: PARTIES_YAML.replace(/\n\s*delegations: .*/, '') })
    const reloaded = (await loadRegistry(dir, { maxRejectRatio: 0 })).index
    expect(lookupFacts(env({ responseId: id(METER, SOLAR_USER) }), reloaded).recipient?.mpids).toEqual(['SOLR'])
    expect(during()).toEqual(['SOLR', 'ACME', 'ACMG'])
  })

  it('marks a body ExportMPAN as the export role (issue #14 rule 3)', () => {
    const f = lookupFacts(env({ requestId: id(ACME_USER, METER), mpxns: ['1200012345679', '1800021679848'], exportMpans: ['1800021679848'] }), index)
    expect(f.mpxns.map((m) => [m.mpxn, m.role])).toEqual([['1200012345679', undefined], ['1800021679848', 'export']])
  })

  it('gives the same facts from periods() as the compact index from its typed arrays', () => {
    // an index that derives the facts from periods() and the device links (lookup.ts helpers)
    const plain: RegistryIndex = {
      loadedAt: 0, counts: index.counts,
      party: (i) => index.party(i), parties: () => index.parties(), partyByUserId: (u) => index.partyByUserId(u),
      partyByMpid: (m) => index.partyByMpid(m), periods: (m) => index.periods(m), periodAt: (m, d) => index.periodAt(m, d),
      mpxnsOfDevice: (d) => index.mpxnsOfDevice(d), mpxnRolesOfDevice: (d) => index.mpxnRolesOfDevice(d), deviceType: (d) => index.deviceType(d),
      mpxnFacts: (m, at, own) => factsFromPeriods(plain, m, at, own),
      deviceMpxnFacts: (d, at, own) => deviceFactsFromLinks(plain, d, at, own),
      deviceLinksWithStatus: (s) => index.deviceLinksWithStatus(s),
    }
    for (const e of [env({ responseId: id(METER, ACME_USER) }), env({ deviceIds: [CHF], requestId: id(ACME_USER, CHF) }),
      env({ mpxns: ['1200012345679', '1'], responseId: id(DCC, SOLAR_USER), responseTime: Date.parse('2026-01-01T00:00:00Z') })])
      expect(lookupFacts(e, plain)).toEqual(lookupFacts(e, index))
  })
})
