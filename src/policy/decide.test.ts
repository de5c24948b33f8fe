import { describe, expect, it } from 'vitest'
import type { Envelope } from '../envelope/index.js'
import type { MpxnFacts, RegistryFacts } from '../registry/index.js'
import { decide } from './decide.js'
import type { PolicySettings } from './types.js'

const policy: PolicySettings = {
  tenants: ['ACME'],
  nonCritical: 'drop',
  safetyListedCodes: new Set(['8F0F', '81BF']),
  consumptionDataCodes: new Set(['8F0A']),
  graceWorkingDays: 0,
  dccUserIds: new Set(['90-B3-D5-1F-30-00-00-02']),
}
// Working days between two dates, counting weekdays only: enough for the grace rule here.
const calendar = {
  workingDaysBetween(from: string, to: string) {
    let n = 0
    for (let d = new Date(from + 'T00:00:00Z'); d.toISOString().slice(0, 10) < to; ) {
      d = new Date(d.getTime() + 86_400_000)
      if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) n++
    }
    return n
  },
}

function env(over: Partial<Envelope> = {}): Envelope {
  return {
    schemaVersion: '5.4', responseCode: 'I0', responseDateTime: '2025-03-14T08:15:30Z',
    responseTime: Date.parse('2025-03-14T08:15:30Z'), kind: 'device_alert',
    bodyElement: 'DeviceAlertMessage', alertCode: '8F12', mpxns: [], deviceIds: [],
    gbcs: { firstByte: 0xdd }, hasGbcsPayload: true, hasSignature: false, ...over,
  }
}
const supplied: MpxnFacts = {
  mpxn: '1200012345679', known: true, period: { mpid: 'ACME', from: '2024-01-01', partyId: 'ACME', reachable: true },
}
const stale: MpxnFacts = {
  mpxn: '1412345678901', known: true,
  period: { mpid: 'BRIT', from: '2025-03-01', partyId: 'BRITE', reachable: true },
  recipientLastPeriod: { mpid: 'ACME', from: '2023-06-01', to: '2025-02-28' },
}
function facts(over: Partial<RegistryFacts> = {}): RegistryFacts {
  return {
    messageDay: '2025-03-14', recipientUserId: '90-B3-D5-1F-30-01-00-00',
    recipient: { partyId: 'ACME', role: 'IS', mpids: ['ACME', 'ACMG'] },
    deviceId: '00-12-34-56-78-AB-CD-EF', deviceKnown: true, mpxnSource: 'device', mpxns: [supplied], ...over,
  }
}
const critical = { alertCode: '8F3D', gbcs: { firstByte: 0xdf } }

describe('decide (contract §3)', () => {
  it('delivers to the responsible supplier', () => {
    expect(decide(env(), facts(), policy, calendar)).toMatchObject({ decision: 'deliver', reason: 'responsible', deliverTo: 'ACME', mpxn: '1200012345679' })
  })
  it('forwards a critical (0xDF) alert for a stale MPxN to the acquiring supplier', () => {
    expect(decide(env(critical), facts({ mpxns: [stale] }), policy, calendar)).toMatchObject({
      decision: 'forward', reason: 'stale-cos-critical', fromParty: 'ACME', toParty: 'BRITE', supplyStartDate: '2025-03-01', critical: true,
    })
  })
  it('forwards a safety-listed non-critical (0xDD) code', () => {
    const d = decide(env({ alertCode: '81BF' }), facts({ mpxns: [stale] }), policy, calendar)
    expect(d).toMatchObject({ decision: 'forward', reason: 'safety-listed', critical: true })
  })
  it('drops non-critical traffic for a stale MPxN, or quarantines it by policy', () => {
    expect(decide(env(), facts({ mpxns: [stale] }), policy, calendar)).toMatchObject({ decision: 'drop', reason: 'stale-cos-noncritical' })
    expect(decide(env(), facts({ mpxns: [stale] }), { ...policy, nonCritical: 'quarantine' }, calendar))
      .toMatchObject({ decision: 'quarantine', reason: 'stale-cos-noncritical' })
  })
  it('drops 8F0A (GBCS-critical billing data log) and DSP-scheduled reads as consumption data', () => {
    expect(decide(env({ alertCode: '8F0A', gbcs: { firstByte: 0xdf } }), facts({ mpxns: [stale] }), policy, calendar))
      .toMatchObject({ decision: 'drop', reason: 'stale-cos-consumption', critical: true })
    const read = env({ kind: 'response', bodyElement: 'ResponseMessage', alertCode: undefined, responseContent: 'DSPScheduledMessage' })
    expect(decide(read, facts({ mpxns: [stale] }), policy, calendar)).toMatchObject({ decision: 'drop', reason: 'stale-cos-consumption' })
  })
  it('never drops a safety-listed code even when it is also listed as consumption data', () => {
    const p = { ...policy, consumptionDataCodes: new Set(['8F0F']) }
    expect(decide(env({ alertCode: '8F0F', gbcs: { firstByte: 0xdf } }), facts({ mpxns: [stale] }), p, calendar).decision).toBe('forward')
  })
  it('quarantines a critical alert whose acquirer is unknown or unreachable', () => {
    const unreachable = { ...stale, period: { ...stale.period!, reachable: false } }
    expect(decide(env(critical), facts({ mpxns: [unreachable] }), policy, calendar)).toMatchObject({ decision: 'quarantine', reason: 'unknown-acquirer' })
  })
  it('always delivers DCC Alerts to the addressed party', () => {
    const a = env({ kind: 'dcc_alert', bodyElement: 'DCCAlertMessage', dccAlertCode: 'N16', alertCode: undefined, gbcs: undefined })
    expect(decide(a, facts({ mpxns: [stale], mpxnSource: 'body' }), policy, calendar)).toMatchObject({ decision: 'deliver', reason: 'dcc-alert' })
  })
  it('quarantines unknown recipient, device and MPxN', () => {
    expect(decide(env(), facts({ recipient: undefined }), policy, calendar).reason).toBe('unknown-recipient')
    expect(decide(env(), facts({ recipient: { partyId: 'BRITE', role: 'IS', mpids: ['BRIT'] } }), policy, calendar).reason).toBe('unknown-recipient')
    expect(decide(env(), facts({ deviceKnown: false, mpxnSource: 'none', mpxns: [] }), policy, calendar).reason).toBe('unknown-device')
    expect(decide(env(), facts({ mpxns: [{ mpxn: '999', known: false }] }), policy, calendar).reason).toBe('unknown-mpxn')
  })
  it('passes through messages with nothing to judge and non-supplier roles', () => {
    expect(decide(env(), facts({ deviceId: undefined, mpxnSource: 'none', mpxns: [] }), policy, calendar).reason).toBe('passthrough')
    const ed = facts({ recipient: { partyId: 'ACME', role: 'ED', mpids: [] }, mpxns: [stale] })
    expect(decide(env(), ed, policy, calendar).reason).toBe('passthrough')
  })
  it('delivers an E4 response without payload to the requesting party even when stale', () => {
    const e4 = env({ kind: 'response', bodyElement: 'ResponseMessage', responseCode: 'E4', alertCode: undefined, gbcs: undefined, hasGbcsPayload: false })
    expect(decide(e4, facts({ mpxns: [stale] }), policy, calendar)).toMatchObject({ decision: 'deliver', reason: 'passthrough' })
  })
  it('routes delegated traffic to the delegate (SoLR)', () => {
    const f = facts({ recipient: { partyId: 'SOLAR', role: 'IS', mpids: ['SOLR'], delegateTo: 'ACME' },
      mpxns: [{ ...supplied, period: { mpid: 'SOLR', from: '2021-05-01', partyId: 'SOLAR', reachable: false } }] })
    expect(decide(env(), f, policy, calendar)).toMatchObject({ decision: 'deliver', reason: 'solr-delegated', deliverTo: 'ACME' })
  })
  // docs/decisions.md, "Never supplied". Before the fix an MPxN the party never held was judged stale against
  // registered[0]: a 0xDD alert was dropped (stale-cos-noncritical), a 0xDF one forwarded.
  it('quarantines traffic for an MPxN the addressed party never supplied: never-supplied, critical or not', () => {
    const theirs: MpxnFacts = { mpxn: '1412345678901', known: true, period: { mpid: 'BRIT', from: '2024-01-01', partyId: 'BRITE', reachable: true } }
    for (const e of [env(), env(critical), env({ alertCode: '8F0A', gbcs: { firstByte: 0xdf } })]) {
      const d = decide(e, facts({ mpxns: [theirs] }), policy, calendar)
      expect(d).toEqual({ decision: 'quarantine', reason: 'never-supplied', critical: e.gbcs?.firstByte === 0xdf, mpxn: '1412345678901' })
      expect(d.supplyStartDate).toBeUndefined() // never counted in the stale-CoS report
    }
    expect(decide(env(), facts({ mpxns: [theirs] }), { ...policy, graceWorkingDays: 5 }, calendar).reason).toBe('never-supplied')
  })

  // The supply start date is the acquirer's effective_from, also after a gap
  // (before the fix it was the end of the party's own last period).
  it("puts the acquirer's effective_from in supplyStartDate on every stale decision", () => {
    const gap: MpxnFacts = { ...stale, recipientLastPeriod: { mpid: 'ACME', from: '2023-06-01', to: '2025-02-10' } }
    for (const e of [env(), env(critical), env({ alertCode: '8F0A', gbcs: { firstByte: 0xdf } })])
      expect(decide(e, facts({ mpxns: [gap] }), policy, calendar).supplyStartDate).toBe('2025-03-01')
  })

  // Import and export MPANs are judged separately. Before the fix the export
  // MPAN ACME still supplies made the 8F0F to ACME's IS user `responsible`.
  it('judges IS traffic on import MPANs, ES on export MPANs, GS on MPRNs', () => {
    const exportOwn: MpxnFacts = { mpxn: '1200012345679', known: true, role: 'export', period: { mpid: 'ACME', from: '2024-01-01', partyId: 'ACME', reachable: true } }
    const esme = facts({ mpxns: [stale, exportOwn] })
    expect(decide(env(critical), esme, policy, calendar)).toMatchObject({ decision: 'forward', reason: 'stale-cos-critical', toParty: 'BRITE', mpxn: '1412345678901' })
    const es = facts({ mpxns: [stale, exportOwn], recipient: { partyId: 'ACME', role: 'ES', mpids: ['ACME', 'ACMG'] } })
    expect(decide(env(critical), es, policy, calendar)).toMatchObject({ decision: 'deliver', reason: 'responsible', mpxn: '1200012345679' })
    const noExport = facts({ mpxns: [supplied], recipient: { partyId: 'ACME', role: 'ES', mpids: ['ACME'] } })
    expect(decide(env(), noExport, policy, calendar)).toMatchObject({ decision: 'quarantine', reason: 'unknown-mpxn' })
    // a CHF listing both fuels: the GS user is judged on the MPRN only, the IS user on the MPAN
    const gasOwn: MpxnFacts = { mpxn: '3938424403', known: true, period: { mpid: 'ACMG', from: '2024-01-01', partyId: 'ACME', reachable: true } }
    const gs = facts({ mpxns: [stale, gasOwn], recipient: { partyId: 'ACME', role: 'GS', mpids: ['ACME', 'ACMG'] } })
    expect(decide(env(), gs, policy, calendar)).toMatchObject({ decision: 'deliver', reason: 'responsible', mpxn: '3938424403' })
    expect(decide(env(), facts({ mpxns: [stale, gasOwn] }), policy, calendar)).toMatchObject({ decision: 'drop', reason: 'stale-cos-noncritical', mpxn: '1412345678901' })
    // one User ID serving IS and GS: a gas meter's traffic to the IS role is judged on its MPRN
    expect(decide(env(), facts({ mpxns: [gasOwn] }), policy, calendar)).toMatchObject({ decision: 'deliver', reason: 'responsible' })
  })

  // Before the fix the payload-free response went to the failed supplier's own id.
  it("delivers a payload-free response for a delegated party's lost MPxN to the delegate: solr-delegated", () => {
    const e4 = env({ kind: 'response', bodyElement: 'ResponseMessage', responseCode: 'E4', alertCode: undefined, gbcs: undefined, hasGbcsPayload: false })
    const f = facts({ recipient: { partyId: 'SOLAR', role: 'IS', mpids: ['SOLR', 'ACME', 'ACMG'], delegateTo: 'ACME' },
      mpxns: [{ ...stale, recipientLastPeriod: { mpid: 'SOLR', from: '2021-05-01', to: '2025-02-28' } }] })
    expect(decide(e4, f, policy, calendar)).toEqual({ decision: 'deliver', reason: 'solr-delegated', deliverTo: 'ACME', critical: false, mpxn: '1412345678901' })
  })

  // Before the fix facts of the body's devices decided (unknown-device).
  it('delivers a response to a DCC service request to the requesting party whatever its body lists', () => {
    const inventory = env({ kind: 'response', bodyElement: 'ResponseMessage', alertCode: undefined, gbcs: undefined, hasGbcsPayload: false, responseContent: 'DSPInventory' })
    const f = facts({ dccService: true, deviceId: undefined, deviceKnown: false, mpxnSource: 'none', mpxns: [] })
    expect(decide(inventory, f, policy, calendar)).toEqual({ decision: 'deliver', reason: 'passthrough', deliverTo: 'ACME', critical: false })
  })

  // A SMETS1 DSP-scheduled read was stale-cos-noncritical before the fix.
  it('counts a SMETS1 DSP-scheduled read as consumption data', () => {
    const s1 = env({ kind: 'smets1', bodyElement: 'SMETS1ResponseMessage', alertCode: undefined, gbcs: undefined, hasGbcsPayload: false, dspScheduled: true })
    expect(decide(s1, facts({ mpxns: [stale] }), policy, calendar)).toMatchObject({ decision: 'drop', reason: 'stale-cos-consumption' })
  })

  it('honours graceWorkingDays after the supply start date (2025-03-01 is a Saturday)', () => {
    const p = { ...policy, graceWorkingDays: 1 }
    const onMonday = facts({ messageDay: '2025-03-03', mpxns: [stale] })
    const onTuesday = facts({ messageDay: '2025-03-04', mpxns: [stale] })
    expect(decide(env(), onMonday, p, calendar).reason).toBe('grace-period')
    expect(decide(env(), onTuesday, p, calendar).reason).toBe('stale-cos-noncritical')
    expect(decide(env(), onMonday, policy, calendar).reason).toBe('stale-cos-noncritical')
  })
})
