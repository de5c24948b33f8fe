// Envelope + RegistryIndex -> RegistryFacts (pure; runs per message, so allocation-light: the
// per-MPxN facts come from the index's mpxnFacts / deviceMpxnFacts, which the compact index
// answers from its typed arrays; factsFromPeriods is the same answer from periods()).
import type { Envelope } from '../envelope/index.js'
import type { FactsDay, MpxnFacts, OwnParties, Party, RegistryFacts, RegistryIndex, SupplyPeriod } from './types.js'
import { ukDayNumberOf, ukDayOf } from '../dates/index.js'

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
  let days = ownByDay.get(rp)
  if (days === undefined || days.index !== index || days.byDay.size >= OWN_DAYS_KEPT) ownByDay.set(rp, (days = { index, byDay: new Map() }))
  const known = days.byDay.get(day)
  if (known !== undefined) return known
  const to = delegate === undefined ? undefined : index.party(delegate)
  const parties = [rp]
  if (to) parties.push(to)
  for (const p of index.parties()) if (p !== rp && p !== to && p.delegations.length > 0 && activeDelegate(p, day) === rp.id) parties.push(p)
  const own: Own = { parties, mpids: parties.length > 1 ? parties.flatMap((p) => p.mpids) : rp.mpids }
  days.byDay.set(day, own)
  return own
}

interface Own extends OwnParties {
  mpids: string[]
}
/**
 * Per party, the answers of the days seen on the index in force (the answer depends only on the
 * index, the party and the day): traffic spans a few days at most (late alerts, a replayed
 * backlog), so nearly every lookup reuses one without a pass over all parties. Started again
 * after a reload and past OWN_DAYS_KEPT days.
 */
const ownByDay = new WeakMap<Party, { index: RegistryIndex; byDay: Map<string, Own> }>()
const OWN_DAYS_KEPT = 64

/**
 * mpxnFacts derived from an index's `periods()` (RegistryIndex.mpxnFacts of an index with no faster
 * way; the compact index uses it for the MPxNs a delta overlay answers).
 */
export function factsFromPeriods(index: RegistryIndex, mpxn: string, at: FactsDay, own: OwnParties | undefined): MpxnFacts {
  const day = at.day
  const periods = index.periods(mpxn)
  const f: MpxnFacts = { mpxn, known: periods.length > 0 }
  const now = periods.find((p) => p.from <= day && (p.to === undefined || day <= p.to))
  if (now) {
    const party = index.partyByMpid(now.mpid)
    f.period = { ...now, partyId: party?.id, reachable: isReachable(party) } // the compact path's key order
    if (!party) delete f.period.partyId
  }
  if (own) {
    let last: SupplyPeriod | undefined
    for (let i = periods.length - 1; i >= 0 && !last; i--) {
      const p = periods[i]!
      if (p.to !== undefined && p.to < day && own.mpids.includes(p.mpid)) last = p
    }
    if (last) f.recipientLastPeriod = { ...last }
  }
  return f
}

/** deviceMpxnFacts derived from an index's mpxnsOfDevice / mpxnRolesOfDevice and its mpxnFacts. */
export function deviceFactsFromLinks(index: RegistryIndex, deviceId: string, at: FactsDay, own: OwnParties | undefined): MpxnFacts[] | undefined {
  const mpxns = index.mpxnsOfDevice(deviceId)
  if (mpxns === undefined) return undefined
  const roles = index.mpxnRolesOfDevice(deviceId)
  return mpxns.map((m, i) => {
    const f = index.mpxnFacts(m, at, own)
    if (roles?.[i] === 'export') f.role = 'export'
    return f
  })
}

export function lookupFacts(env: Envelope, index: RegistryIndex, dcc: ReadonlySet<string> = DEFAULT_DCC_USER_IDS): RegistryFacts {
  const messageDay = ukDayOf(env.responseTime)
  const dayNum = ukDayNumberOf(env.responseTime)
  const recipientUserId = env.responseId?.target ?? env.requestId?.originator ?? env.gbcs?.recipient
  const entry = recipientUserId ? index.partyByUserId(recipientUserId) : undefined
  const facts: RegistryFacts = { messageDay, deviceKnown: false, mpxnSource: 'none', mpxns: [] }
  if (recipientUserId) facts.recipientUserId = recipientUserId
  const rp = entry?.party
  let own: Own | undefined
  if (entry && rp) {
    facts.recipient = { partyId: rp.id, role: entry.role, mpids: rp.mpids }
    const to = activeDelegate(rp, messageDay)
    if (to) facts.recipient.delegateTo = to
    own = ownParties(index, rp, to, messageDay)
    facts.recipient.mpids = own.mpids
  }
  if (isDccServiceResponse(env, dcc)) {
    facts.dccService = true
    return facts
  }
  const device = deviceOf(env, index, dcc)
  const at: FactsDay = { day: messageDay, dayNumber: dayNum }
  let deviceFacts: MpxnFacts[] | undefined
  if (device) {
    facts.deviceId = device.toUpperCase()
    if (env.mpxns.length === 0) deviceFacts = index.deviceMpxnFacts(device, at, own)
    facts.deviceKnown = deviceFacts !== undefined || (env.mpxns.length > 0 && index.deviceType(device) !== undefined)
  }
  if (env.mpxns.length > 0) {
    facts.mpxnSource = 'body'
    for (const m of env.mpxns) {
      const f = index.mpxnFacts(m, at, own)
      if (env.exportMpans?.includes(m)) f.role = 'export'
      facts.mpxns.push(f)
    }
  } else if (deviceFacts && deviceFacts.length > 0) {
    facts.mpxnSource = 'device'
    facts.mpxns = deviceFacts
  }
  return facts
}
