// The benchmark's independent oracle: the expected outcome of every generated message, computed
// from the world's ground truth (the CSV files as read by traffic-world.ts) and the rules as the
// README ("Decisions and reasons") and docs/decisions.md state them. It imports nothing from src/:
// if the gateway's policy, registry or UK-date code drifts from the written rules, the accounting
// names the messages where it does.
import type { PartyModel, Period, WorldModel } from './traffic-world.js'
import { periodAt } from './traffic-world.js'

/** What the generator put in a message, in the oracle's terms. */
export interface MessageSpec {
  kind: 'device_alert' | 'scheduled_read' | 'dcc_alert' | 'e4_response' | 'dsp_response' | 'malformed'
  /** the User ID the message is addressed to (ResponseID target / RequestID originator) */
  recipient: string
  /** the device the message is about (device alerts, reads, E4 responses; DSP responses: listed in the body) */
  device?: string
  /** dsp_response: the RequestID target (the DCC) */
  requestTarget?: string
  /** MPxNs named in the body (DCC alerts) */
  mpxns?: string[]
  /** ResponseDateTime, ISO 8601 */
  time: string
  alertCode?: string
  /** GBCS general-signing 0xDF (else 0xDD general-ciphering) */
  critical?: boolean
}

export interface Expected {
  status: 200 | 422
  decision: 'deliver' | 'forward' | 'drop' | 'quarantine'
  reason: string
  /** deliver: the party whose adapter gets the bytes; forward: the acquiring party (notice) */
  party?: string
  /** MPxNs the decision may name (notice `mpxn` must be one of them) */
  mpxns?: string[]
}

export interface OraclePolicy {
  tenants: string[]
  safetyListedCodes: ReadonlySet<string>
  consumptionDataCodes: ReadonlySet<string>
  /** dcc.userIds, upper case */
  dccUserIds: ReadonlySet<string>
}

// Europe/London calendar date via Intl: deliberately not the gateway's hand-rolled BST table.
const london = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' })
export function ukDay(iso: string): string {
  return london.format(new Date(iso))
}

const SUPPLIER_ROLES = new Set(['IS', 'ES', 'GS'])

/** The party a delegation (`from` inclusive, `until` exclusive) hands `p`'s traffic to on `day`. */
function delegateOn(p: PartyModel, day: string): string | undefined {
  return p.delegations.find((d) => d.from <= day && (d.until === undefined || day < d.until))?.to
}

export function expect(w: WorldModel, policy: OraclePolicy, m: MessageSpec): Expected {
  if (m.kind === 'malformed') return { status: 422, decision: 'quarantine', reason: 'malformed' }
  const quarantine = (reason: string): Expected => ({ status: 200, decision: 'quarantine', reason })
  const day = ukDay(m.time)
  const user = w.partyByUser.get(m.recipient.toUpperCase())
  if (!user) return quarantine('unknown-recipient')
  const party = w.parties.find((p) => p.id === user.party)!
  const delegate = delegateOn(party, day)
  const servedBy = delegate ?? party.id
  if (!policy.tenants.includes(party.id) && !policy.tenants.includes(servedBy)) return quarantine('unknown-recipient')
  // Every delivery of a delegated party's traffic goes to its delegate (SoLR: the SRP).
  const deliver = (reason: string, mpxns?: string[]): Expected =>
    ({ status: 200, decision: 'deliver', reason: delegate ? 'solr-delegated' : reason, party: servedBy, ...(mpxns && { mpxns }) })

  // DCC Alerts go to the addressed party whatever the registration says (README, "Decisions and reasons").
  if (m.kind === 'dcc_alert') return deliver('dcc-alert', m.mpxns)
  if (!SUPPLIER_ROLES.has(user.role)) return deliver('passthrough')
  // A response to the party's own DCC service request is about no device, whatever it lists.
  if (m.kind === 'dsp_response' && m.requestTarget !== undefined && policy.dccUserIds.has(m.requestTarget.toUpperCase())) return deliver('passthrough')

  let mpxns = m.mpxns ?? []
  let exports = new Set<string>()
  if (mpxns.length === 0 && m.device !== undefined) {
    const of = w.deviceMpxns.get(m.device.toUpperCase())
    if (!of) return quarantine('unknown-device')
    mpxns = of
    exports = w.deviceExports.get(m.device.toUpperCase()) ?? exports
  }
  if (mpxns.length === 0) return deliver('passthrough')
  // docs/decisions.md, "Import, export, gas": IS judged on import MPANs, ES on export MPANs, GS on MPRNs; an
  // IS or GS message about a device without its fuel on the device's other import MPxNs.
  if (user.role === 'ES') mpxns = mpxns.filter((x) => exports.has(x))
  else {
    const imports = mpxns.filter((x) => !exports.has(x))
    const fuel = imports.filter((x) => (user.role === 'IS' ? x.length === 13 : x.length !== 13))
    mpxns = fuel.length > 0 ? fuel : imports
  }
  const at = mpxns.map((x) => ({ mpxn: x, period: periodAt(w.periods.get(x), day) })).filter((x): x is { mpxn: string; period: Period } => !!x.period)
  if (at.length === 0) return quarantine('unknown-mpxn')
  // The addressed party's MPIDs, with those of the party it delegates to and of the parties that
  // delegate to it on that day (docs/decisions.md, "Never supplied").
  const own = new Set(party.mpids)
  for (const p of w.parties) if (p.id === delegate || (p.id !== party.id && delegateOn(p, day) === party.id)) for (const x of p.mpids) own.add(x)
  if (at.some((x) => own.has(x.period.mpid))) return deliver('responsible', mpxns)

  // Never supplied before the message day: quarantined, not stale.
  const lostOnes = at.filter((x) => (w.periods.get(x.mpxn) ?? []).some((p) => p.from < x.period.from && own.has(p.mpid)))
  if (lostOnes.length === 0) return quarantine('never-supplied')

  // Stale CoS: the addressed party no longer supplies the MPxN (SR 6.23 not run). Policy is
  // `nonCritical: drop` in the benchmark's configuration.
  const lost = lostOnes[0]!
  const acquirer = w.partyByMpid.get(lost.period.mpid)
  const safety = m.alertCode !== undefined && policy.safetyListedCodes.has(m.alertCode)
  const critical = m.critical === true || safety
  const consumption = m.kind === 'scheduled_read' || (m.alertCode !== undefined && policy.consumptionDataCodes.has(m.alertCode))
  if (safety || (critical && !consumption)) {
    // Every acquirer has an endpoint on the sink in the benchmark world.
    if (acquirer === undefined) return quarantine('unknown-acquirer')
    return { status: 200, decision: 'forward', reason: safety ? 'safety-listed' : 'stale-cos-critical', party: acquirer, mpxns: lostOnes.map((x) => x.mpxn) }
  }
  if (consumption) return { status: 200, decision: 'drop', reason: 'stale-cos-consumption' }
  // An E4 rejection carries no GBCS payload and no customer data: it goes to the party itself
  // (to its delegate during a delegation).
  if (m.kind === 'e4_response') return deliver('passthrough', mpxns)
  return { status: 200, decision: 'drop', reason: 'stale-cos-noncritical' }
}
