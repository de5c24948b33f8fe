// Envelope + RegistryIndex -> RegistryFacts (pure; runs per message, so allocation-light: the
// compact index is read through its typed arrays, other RegistryIndex implementations through
// the interface).
import type { Envelope } from '../envelope/types.js'
import { OPEN_DAY } from './day.js'
import { CompactRegistry } from './registry-index.js'
import type { MpxnFacts, Party, RegistryFacts, RegistryIndex, SupplyPeriod } from './types.js'
import { ukDayNumberOf, ukDayOf } from './uk-day.js'

/** The DCC's own User ID (ACB / DSP signer, domain §7): a DCC alert's ResponseID originator. */
export const DCC_USER_ID = '90-B3-D5-1F-30-00-00-02'

/** Critical-alert notices can reach the party: an endpoint, or a contact with an e-mail. */
export function isReachable(p: Party | undefined): boolean {
  const ca = p?.criticalAlerts
  return !!ca && (!!ca.endpoint || ca.contacts.some((c) => !!c.email))
}

/** Delegation active on `day` (from inclusive, until exclusive; YYYY-MM-DD compares as text). */
export function activeDelegate(p: Party, day: string): string | undefined {
  for (const d of p.delegations) if (d.from <= day && (d.until === undefined || day < d.until)) return d.to
  return undefined
}

function isDeviceCandidate(id: string | undefined, index: RegistryIndex): id is string {
  return !!id && id.toUpperCase() !== DCC_USER_ID && index.partyByUserId(id) === undefined
}

/**
 * The device a message is about: a DeviceID named in the body; else the SMETS1 business
 * originator; else the ResponseID originator unless it is a User (a DCC alert's originator is
 * the DCC); else, for RequestID-only responses (SR 8.2, acknowledgements), the RequestID target;
 * else the GBCS originator system title.
 */
export function deviceOf(env: Envelope, index: RegistryIndex): string | undefined {
  if (env.deviceIds.length > 0) return env.deviceIds[0]
  if (env.smets1Originator) return env.smets1Originator
  const ro = env.responseId?.originator
  if (isDeviceCandidate(ro, index)) return ro
  const rt = env.responseId ? undefined : env.requestId?.target
  if (isDeviceCandidate(rt, index)) return rt
  return env.gbcs?.originator
}

function compactFacts(ix: CompactRegistry, mpxn: string, slot: number, day: number, recipient: Party | undefined): MpxnFacts {
  const f: MpxnFacts = { mpxn, known: slot >= 0 }
  if (slot < 0) return f
  // the caller's slotOf / rangeOfSlot left this slot's periods in ix.periodRange
  const { p: first, n } = ix.periodRange
  const p = ix.periodInRange(day)
  if (p >= 0) {
    const party = ix.mpidParty[ix.periodMpid(p)]
    f.period = Object.assign(ix.period(p), { partyId: party?.id, reachable: isReachable(party) })
    if (!party) delete f.period.partyId
  }
  if (recipient) {
    for (let q = first + n - 1; q >= first; q--) {
      const to = ix.periodTo(q)
      if (to !== OPEN_DAY && to <= day && ix.mpidParty[ix.periodMpid(q)] === recipient) {
        f.recipientLastPeriod = ix.period(q)
        break
      }
    }
  }
  return f
}

function genericFacts(index: RegistryIndex, mpxn: string, day: string, recipient: Party | undefined): MpxnFacts {
  const periods = index.periods(mpxn)
  const f: MpxnFacts = { mpxn, known: periods.length > 0 }
  const at = periods.find((p) => p.from <= day && (p.to === undefined || day < p.to))
  if (at) {
    const party = index.partyByMpid(at.mpid)
    f.period = { ...at, partyId: party?.id, reachable: isReachable(party) } // the compact path's key order
    if (!party) delete f.period.partyId
  }
  if (recipient) {
    let last: SupplyPeriod | undefined
    for (let i = periods.length - 1; i >= 0 && !last; i--) {
      const p = periods[i]!
      if (p.to !== undefined && p.to <= day && recipient.mpids.includes(p.mpid)) last = p
    }
    if (last) f.recipientLastPeriod = { ...last }
  }
  return f
}

export function lookupFacts(env: Envelope, index: RegistryIndex): RegistryFacts {
  const messageDay = ukDayOf(env.responseTime)
  const dayNum = ukDayNumberOf(env.responseTime)
  const recipientUserId = env.responseId?.target ?? env.requestId?.originator ?? env.gbcs?.recipient
  const entry = recipientUserId ? index.partyByUserId(recipientUserId) : undefined
  const facts: RegistryFacts = { messageDay, deviceKnown: false, mpxnSource: 'none', mpxns: [] }
  if (recipientUserId) facts.recipientUserId = recipientUserId
  const rp = entry?.party
  if (entry && rp) {
    facts.recipient = { partyId: rp.id, role: entry.role, mpids: rp.mpids }
    const to = activeDelegate(rp, messageDay)
    if (to) facts.recipient.delegateTo = to
  }
  const device = deviceOf(env, index)
  const ix = index instanceof CompactRegistry ? index : undefined
  // a delta overlay (delta.ts) answers for the MPxNs and devices it changed: those go the generic way
  const ov = ix?.hasOverlay === true
  let deviceRow = -1
  let deviceMpxns: readonly string[] | undefined
  if (device) {
    facts.deviceId = device.toUpperCase()
    if (ix && !(ov && ix.overlayDevice(device))) deviceRow = ix.deviceRowOf(device)
    else deviceMpxns = index.mpxnsOfDevice(device)
    facts.deviceKnown = deviceRow >= 0 || deviceMpxns !== undefined
  }
  if (env.mpxns.length > 0) {
    facts.mpxnSource = 'body'
    for (const m of env.mpxns)
      facts.mpxns.push(ix && !(ov && ix.inOverlay(m)) ? compactFacts(ix, m, ix.slotOf(m), dayNum, rp) : genericFacts(index, m, messageDay, rp))
  } else if (ix && deviceRow >= 0) {
    facts.mpxnSource = 'device'
    for (let r = deviceRow, e = ix.deviceRowsEnd(deviceRow); r < e; r++) {
      const ref = ix.dev.ref[r]!
      const slot = ref >= 0x80000000 ? -1 : ref // orphans: named by a device, no registration rows
      const mpxn = ix.mpxnOfRef(ref)
      if (ov && ix.inOverlay(mpxn)) {
        facts.mpxns.push(genericFacts(index, mpxn, messageDay, rp))
        continue
      }
      if (slot >= 0) ix.rangeOfSlot(slot)
      facts.mpxns.push(compactFacts(ix, mpxn, slot, dayNum, rp))
    }
  } else if (deviceMpxns && deviceMpxns.length > 0) {
    facts.mpxnSource = 'device'
    for (const m of deviceMpxns) facts.mpxns.push(genericFacts(index, m, messageDay, rp))
  }
  return facts
}
