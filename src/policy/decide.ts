import type { Envelope } from '../envelope/index.js'
import type { MpxnFacts, RegistryFacts, UserRole } from '../registry/index.js'
import { SUPPLIER_ROLES } from '../registry/index.js'
import type { Decision, PolicySettings } from './types.js'

/** What policy needs of the working-day calendar (src/obligations). */
export interface GraceCalendar {
  /** working days after `from` up to and including `to` (YYYY-MM-DD) */
  workingDaysBetween(from: string, to: string): number
}

/** GBCS general-signing: critical alerts are device-signed. */
const GBCS_GENERAL_SIGNING = 0xdf
/** An MPAN core has 13 digits; an MPRN at most 10 (DUIS: an MPAN core is 13 digits, an MPRN 1-10 characters). */
const MPAN_LENGTH = 13

/**
 * The decision for one message (README, "Decisions and reasons"). Pure: same inputs, same decision.
 *
 * Order matters: DCC Alerts, non-supplier roles and responses to DCC service requests are never
 * judged against registration; an unknown recipient, device or MPxN is quarantined before
 * anything can be dropped; an MPxN the addressed party never supplied is quarantined, not judged
 * stale; and among stale-CoS traffic, a safety-listed code wins over the consumption-data list,
 * which wins over GBCS criticality (8F0A is 0xDF but carries billing registers).
 */
export function decide(
  env: Envelope,
  facts: RegistryFacts,
  policy: PolicySettings,
  calendar: GraceCalendar,
): Decision {
  const alertCode = env.alertCode
  const safetyListed = alertCode !== undefined && policy.safetyListedCodes.has(alertCode)
  const critical = env.gbcs?.firstByte === GBCS_GENERAL_SIGNING || safetyListed
  const recipient = facts.recipient
  if (recipient === undefined) return { decision: 'quarantine', reason: 'unknown-recipient', critical }

  const delegated = recipient.delegateTo !== undefined
  const servedBy = recipient.delegateTo ?? recipient.partyId
  const tenants = policy.tenants
  if (!tenants.includes(recipient.partyId) && !tenants.includes(servedBy)) {
    return { decision: 'quarantine', reason: 'unknown-recipient', critical }
  }
  // Every delivery of a delegated party's traffic goes to its delegate (SoLR: the Shared Resource
  // Provider), whatever the rule that chose to deliver (README, reason `solr-delegated`).
  const deliver: Deliver = (reason, mpxn) => ({
    decision: 'deliver',
    reason: delegated ? 'solr-delegated' : reason,
    deliverTo: servedBy,
    critical,
    ...(mpxn !== undefined && { mpxn }),
  })

  // DCC Alerts (CoS, credentials updated, outage, device status) concern the addressed party itself.
  if (env.kind === 'dcc_alert') return deliver('dcc-alert', env.mpxns[0])
  // Network operators, RSAs and Other Users are not judged against supplier registration.
  if (!SUPPLIER_ROLES.has(recipient.role)) return deliver('passthrough', env.mpxns[0])
  // A response to the party's own DCC service request (SR 8.2 lists many devices in its body).
  if (facts.dccService) return deliver('passthrough')

  if (facts.mpxnSource === 'none') {
    if (facts.deviceId !== undefined && !facts.deviceKnown) {
      return { decision: 'quarantine', reason: 'unknown-device', critical }
    }
    return deliver('passthrough')
  }
  const judged = mpxnsForRole(facts.mpxns, recipient.role)
  const registered = judged.filter(hasPeriod)
  if (registered.length === 0) {
    return { decision: 'quarantine', reason: 'unknown-mpxn', critical, mpxn: (judged[0] ?? facts.mpxns[0])?.mpxn }
  }

  const own = new Set(recipient.mpids)
  const supplied = registered.find((m) => own.has(m.period.mpid))
  if (supplied !== undefined) return deliver('responsible', supplied.mpxn)

  // Not the current supplier and never one before: not a lost customer but, usually, a
  // registrations file a day behind a gain. Kept for an operator, never dropped (rule 1).
  const lost = registered.filter((m) => m.recipientLastPeriod !== undefined)
  if (lost.length === 0) return { decision: 'quarantine', reason: 'never-supplied', critical, mpxn: registered[0]!.mpxn }

  const inGrace = lost.find((m) => withinGrace(m, facts.messageDay, policy.graceWorkingDays, calendar))
  if (inGrace !== undefined) return deliver('grace-period', inGrace.mpxn)

  return decideStale(env, lost[0]!, policy, recipient.partyId, critical, safetyListed, deliver)
}

type Deliver = (reason: Decision['reason'], mpxn?: string) => Decision

/** The addressed party no longer supplies the MPxN it once supplied (the SR 6.23 was not run). */
function decideStale(
  env: Envelope,
  lost: RegisteredMpxn,
  policy: PolicySettings,
  fromParty: string,
  critical: boolean,
  safetyListed: boolean,
  deliver: Deliver,
): Decision {
  const acquirer = lost.period
  const base = {
    mpxn: lost.mpxn,
    fromParty,
    critical,
    // the acquirer's effective_from: the supply start date the stale-CoS report counts from
    supplyStartDate: acquirer.from,
    ...(acquirer.partyId !== undefined && { toParty: acquirer.partyId }),
  }
  const consumption = isDspScheduled(env) || (env.alertCode !== undefined && policy.consumptionDataCodes.has(env.alertCode))

  if (safetyListed || (critical && !consumption)) {
    const reason = safetyListed ? 'safety-listed' : 'stale-cos-critical'
    if (acquirer.partyId === undefined || !acquirer.reachable) {
      return { ...base, decision: 'quarantine', reason: 'unknown-acquirer' }
    }
    return { ...base, decision: 'forward', reason, toParty: acquirer.partyId }
  }
  const withheld = policy.nonCritical
  if (consumption) return { ...base, decision: withheld, reason: 'stale-cos-consumption' }
  // A response to the party's own request that carries no GBCS payload (an E4 rejection, an
  // acknowledgement) holds no customer data and tells the party its request failed.
  if (env.kind === 'response' && !env.hasGbcsPayload) return deliver('passthrough', lost.mpxn)
  return { ...base, decision: withheld, reason: 'stale-cos-noncritical' }
}

/**
 * DSP-scheduled reads: a DSPScheduledMessage (SMETS2) or a SMETS1ResponseMessage carrying a
 * DSPScheduleID. Consumption data whatever the GBCS protection.
 */
function isDspScheduled(env: Envelope): boolean {
  return env.responseContent === 'DSPScheduledMessage' || env.dspScheduled === true
}

/**
 * The MPxNs a message to this User role is judged against (docs/decisions.md, "Import, export, gas"): IS against the
 * device's electricity import MPANs, ES against its export MPANs, GS against its MPRNs. One
 * User ID may serve both IS and GS (DCC Boxed uses one), so an IS or GS message about a device
 * with none of its fuel is judged against the device's other import MPxNs; import traffic is never
 * judged against an export MPAN, nor export traffic against an import MPxN.
 */
function mpxnsForRole(mpxns: MpxnFacts[], role: UserRole): MpxnFacts[] {
  if (role === 'ES') return mpxns.filter((m) => m.role === 'export')
  const imports = mpxns.filter((m) => m.role !== 'export')
  const fuel = imports.filter((m) => (m.mpxn.length === MPAN_LENGTH) === (role === 'IS'))
  return fuel.length > 0 ? fuel : imports
}

type RegisteredMpxn = MpxnFacts & { period: NonNullable<MpxnFacts['period']> }

function hasPeriod(m: MpxnFacts): m is RegisteredMpxn {
  return m.period !== undefined
}

/**
 * policy.graceWorkingDays = n > 0: the losing supplier still counts as responsible on the
 * acquirer's supply start date and up to n working days after it.
 */
function withinGrace(m: RegisteredMpxn, day: string, graceDays: number, calendar: GraceCalendar): boolean {
  const ssd = m.period.from
  if (graceDays <= 0 || day < ssd) return false
  return calendar.workingDaysBetween(ssd, day) <= graceDays
}
