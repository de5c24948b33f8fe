// Envelope + RegistryIndex -> RegistryFacts (pure; runs per message, so allocation-light: the
// compact index is read through its typed arrays, other RegistryIndex implementations through
// the interface).
import type { Envelope } from '../envelope/types.js'
import { OPEN_DAY } from './day.js'
import { MPXN_ROLE_EXPORT } from './device-table.js'
import { CompactRegistry } from './registry-index.js'
import type { MpxnFacts, Party, RegistryFacts, RegistryIndex, SupplyPeriod } from './types.js'
import { ukDayNumberOf, ukDayOf } from './uk-day.js'

/**
 * The DCC's own User ID in DCC Boxed (ACB / DSP signer): the default of `dcc.userIds`,
 * the IDs that answer "is this the DCC" (a DCC alert's ResponseID originator, the RequestID target
 * of a DCC service request such as SR 8.2).
 */
export const DCC_USER_ID = '90-B3-D5-1F-30-00-00-02'
export const DEFAULT_DCC_USER_IDS: ReadonlySet<string> = new Set([DCC_USER_ID])

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

/**
 * `dcc` holds upper-case EUI-64s (policy settings build it once) and the envelope normalises
 * header IDs to upper case (HeaderId), so one lookup, no case folding per message.
 */
function isDcc(id: string | undefined, dcc: ReadonlySet<string>): boolean {
  return id !== undefined && dcc.has(id)
}

function isDeviceCandidate(id: string | undefined, index: RegistryIndex, dcc: ReadonlySet<string>): id is string {
  return !!id && !isDcc(id, dcc) && index.partyByUserId(id) === undefined
}

/**
 * A response to the party's own request of a DCC service (RequestID target is the DCC, e.g. SR 8.2
 * Read Inventory): it concerns no device, whatever its body lists (docs/decisions.md, "Subject device").
 */
export function isDccServiceResponse(env: Envelope, dcc: ReadonlySet<string> = DEFAULT_DCC_USER_IDS): boolean {
  return env.kind === 'response' && isDcc(env.requestId?.target, dcc)
}

/**
 * The device a message is about, from its header IDs first: the ResponseID originator unless it is
 * a User or the DCC (a DCC alert's originator is the DCC); else, for RequestID-only responses
 * (E4 rejections, acknowledgements), the RequestID target unless it is the DCC; else the SMETS1
 * business originator; else the GBCS originator system title; else a DeviceID named in the body
 * (DCC alerts: the device the DCC reports on). A DCC service response has none (rule 5).
 */
export function deviceOf(env: Envelope, index: RegistryIndex, dcc: ReadonlySet<string> = DEFAULT_DCC_USER_IDS): string | undefined {
  if (isDccServiceResponse(env, dcc)) return undefined
  const ro = env.responseId?.originator
  if (isDeviceCandidate(ro, index, dcc)) return ro
  const rt = env.responseId ? undefined : env.requestId?.target
  if (isDeviceCandidate(rt, index, dcc)) return rt
  if (env.smets1Originator) return env.smets1Originator
  if (env.gbcs?.originator) return env.gbcs.originator
  return env.deviceIds[0]
}

/**
 * Parties whose registration periods count as the addressed party's on `day`: the party itself,
 * the party it delegates to (SoLR: the Shared Resource Provider) and the parties that delegate to
 * it (docs/decisions.md, "Never supplied": "the addressed party, or the party it serves by delegation").
 */
function ownParties(index: RegistryIndex, rp: Party, delegate: string | undefined, day: string): Own {
  const last = lastOwn.get(rp)
  if (last !== undefined && last.day === day && last.index === index) return last
  const to = delegate === undefined ? undefined : index.party(delegate)
  const parties = [rp]
  if (to) parties.push(to)
  for (const p of index.parties()) if (p !== rp && p !== to && p.delegations.length > 0 && activeDelegate(p, day) === rp.id) parties.push(p)
  const own: Own = { index, day, parties, mpids: parties.length > 1 ? parties.flatMap((p) => p.mpids) : rp.mpids }
  lastOwn.set(rp, own)
  return own
}

interface Own {
  index: RegistryIndex
  day: string
  parties: readonly Party[]
  mpids: string[]
}
/** Per party, the last day's answer: traffic arrives in time order, so most lookups reuse it. */
const lastOwn = new WeakMap<Party, Own>()

function compactFacts(ix: CompactRegistry, mpxn: string, slot: number, day: number, own: readonly Party[] | undefined): MpxnFacts {
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
  if (own) {
    for (let q = first + n - 1; q >= first; q--) {
      const to = ix.periodTo(q) // exclusive: the day after the last day supplied
      const party = ix.mpidParty[ix.periodMpid(q)]
      if (to !== OPEN_DAY && to <= day && party !== undefined && own.includes(party)) {
        f.recipientLastPeriod = ix.period(q)
        break
      }
    }
  }
  return f
}

function genericFacts(index: RegistryIndex, mpxn: string, day: string, recipient: { mpids: readonly string[] } | undefined): MpxnFacts {
  const periods = index.periods(mpxn)
  const f: MpxnFacts = { mpxn, known: periods.length > 0 }
  const at = periods.find((p) => p.from <= day && (p.to === undefined || day <= p.to))
  if (at) {
    const party = index.partyByMpid(at.mpid)
    f.period = { ...at, partyId: party?.id, reachable: isReachable(party) } // the compact path's key order
    if (!party) delete f.period.partyId
  }
  if (recipient) {
    let last: SupplyPeriod | undefined
    for (let i = periods.length - 1; i >= 0 && !last; i--) {
      const p = periods[i]!
      if (p.to !== undefined && p.to < day && recipient.mpids.includes(p.mpid)) last = p
    }
    if (last) f.recipientLastPeriod = { ...last }
  }
  return f
}

export function lookupFacts(env: Envelope, index: RegistryIndex, dcc: ReadonlySet<string> = DEFAULT_DCC_USER_IDS): RegistryFacts {
  const messageDay = ukDayOf(env.responseTime)
  const dayNum = ukDayNumberOf(env.responseTime)
  const recipientUserId = env.responseId?.target ?? env.requestId?.originator ?? env.gbcs?.recipient
  const entry = recipientUserId ? index.partyByUserId(recipientUserId) : undefined
  const facts: RegistryFacts = { messageDay, deviceKnown: false, mpxnSource: 'none', mpxns: [] }
  if (recipientUserId) facts.recipientUserId = recipientUserId
  const rp = entry?.party
  let own: readonly Party[] | undefined
  if (entry && rp) {
    facts.recipient = { partyId: rp.id, role: entry.role, mpids: rp.mpids }
    const to = activeDelegate(rp, messageDay)
    if (to) facts.recipient.delegateTo = to
    const o = ownParties(index, rp, to, messageDay)
    own = o.parties
    facts.recipient.mpids = o.mpids
  }
  if (isDccServiceResponse(env, dcc)) {
    facts.dccService = true
    return facts
  }
  const device = deviceOf(env, index, dcc)
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
    for (const m of env.mpxns) {
      const f = ix && !(ov && ix.inOverlay(m)) ? compactFacts(ix, m, ix.slotOf(m), dayNum, own) : genericFacts(index, m, messageDay, facts.recipient)
      if (env.exportMpans?.includes(m)) f.role = 'export'
      facts.mpxns.push(f)
    }
  } else if (ix && deviceRow >= 0) {
    facts.mpxnSource = 'device'
    for (let r = deviceRow, e = ix.deviceRowsEnd(deviceRow); r < e; r++) {
      const ref = ix.dev.ref[r]!
      const slot = ref >= 0x80000000 ? -1 : ref // orphans: named by a device, no registration rows
      const mpxn = ix.mpxnOfRef(ref)
      let f: MpxnFacts
      if (ov && ix.inOverlay(mpxn)) f = genericFacts(index, mpxn, messageDay, facts.recipient)
      else {
        if (slot >= 0) ix.rangeOfSlot(slot)
        f = compactFacts(ix, mpxn, slot, dayNum, own)
      }
      if (ix.dev.role[r] === MPXN_ROLE_EXPORT) f.role = 'export'
      facts.mpxns.push(f)
    }
  } else if (deviceMpxns && deviceMpxns.length > 0) {
    facts.mpxnSource = 'device'
    const roles = index.mpxnRolesOfDevice(device!)
    deviceMpxns.forEach((m, i) => {
      const f = genericFacts(index, m, messageDay, facts.recipient)
      if (roles?.[i] === 'export') f.role = 'export'
      facts.mpxns.push(f)
    })
  }
  return facts
}
