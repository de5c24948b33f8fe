import { describe, expect, it } from 'vitest'
import type { Envelope } from '../envelope/types.js'
import type { MpxnFacts, RegistryFacts } from '../registry/types.js'
import { decide } from './decide.js'
import type { PolicySettings } from './types.js'

const policy: PolicySettings = {
  tenants: ['ACME'],
  nonCritical: 'drop',
  safetyListedCodes: new Set(['8F0F', '81BF']),
  consumptionDataCodes: new Set(['8F0A']),
  graceWorkingDays: 0,
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
  recipientLastPeriod: { mpid: 'ACME', from: '2023-06-01', to: '2025-03-01' },
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
  it('honours graceWorkingDays after the supply start date (2025-03-01 is a Saturday)', () => {
    const p = { ...policy, graceWorkingDays: 1 }
    const onMonday = facts({ messageDay: '2025-03-03', mpxns: [stale] })
    const onTuesday = facts({ messageDay: '2025-03-04', mpxns: [stale] })
    expect(decide(env(), onMonday, p, calendar).reason).toBe('grace-period')
    expect(decide(env(), onTuesday, p, calendar).reason).toBe('stale-cos-noncritical')
    expect(decide(env(), onMonday, policy, calendar).reason).toBe('stale-cos-noncritical')
  })
})
