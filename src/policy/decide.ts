import type { Envelope } from '../envelope/types.js'
import type { MpxnFacts, RegistryFacts } from '../registry/types.js'
import { SUPPLIER_ROLES } from '../registry/types.js'
import type { Decision, PolicySettings } from './types.js'

/** What policy needs of the working-day calendar (src/obligations). */
export interface GraceCalendar {
  /** working days after `from` up to and including `to` (YYYY-MM-DD) */
  workingDaysBetween(from: string, to: string): number
}

/** GBCS general-signing: critical alerts are device-signed (domain notes §4). */
const GBCS_GENERAL_SIGNING = 0xdf

/**
 * The decision for one message (contract §3). Pure: same inputs, same decision.
 *
 * Order matters: DCC Alerts and non-supplier roles are never judged against registration;
 * an unknown recipient, device or MPxN is quarantined before anything can be dropped; and
 * among stale-CoS traffic, a safety-listed code wins over the consumption-data list, which
 * wins over GBCS criticality (8F0A is 0xDF but carries billing registers).
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
  const deliver = (reason: Decision['reason'], mpxn?: string): Decision => ({
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

  if (facts.mpxnSource === 'none') {
    if (facts.deviceId !== undefined && !facts.deviceKnown) {
      return { decision: 'quarantine', reason: 'unknown-device', critical }
    }
    return deliver('passthrough')
  }
  const registered = facts.mpxns.filter(hasPeriod)
  if (registered.length === 0) {
    return { decision: 'quarantine', reason: 'unknown-mpxn', critical, mpxn: facts.mpxns[0]?.mpxn }
  }

  const own = new Set(recipient.mpids)
  const supplied = registered.find((m) => own.has(m.period.mpid))
  if (supplied !== undefined) return deliver('responsible', supplied.mpxn)

  const inGrace = registered.find((m) => withinGrace(m, facts.messageDay, policy.graceWorkingDays, calendar))
  if (inGrace !== undefined) return deliver('grace-period', inGrace.mpxn)

  return decideStale(env, registered, policy, recipient.partyId, critical, safetyListed)
}

/** The addressed party no longer supplies any MPxN of the message (the SR 6.23 was not run). */
function decideStale(
  env: Envelope,
  registered: RegisteredMpxn[],
  policy: PolicySettings,
  fromParty: string,
  critical: boolean,
  safetyListed: boolean,
): Decision {
  const lost = registered.find((m) => m.recipientLastPeriod !== undefined) ?? registered[0]!
  const base = {
    mpxn: lost.mpxn,
    fromParty,
    critical,
    ...(lost.recipientLastPeriod?.to !== undefined && { supplyStartDate: lost.recipientLastPeriod.to }),
    ...(lost.period.partyId !== undefined && { toParty: lost.period.partyId }),
  }
  const consumption =
    env.responseContent === 'DSPScheduledMessage' ||
    (env.alertCode !== undefined && policy.consumptionDataCodes.has(env.alertCode))

  if (safetyListed || (critical && !consumption)) {
    const reason = safetyListed ? 'safety-listed' : 'stale-cos-critical'
    const acquirer = lost.period
    if (acquirer.partyId === undefined || !acquirer.reachable) {
      return { ...base, decision: 'quarantine', reason: 'unknown-acquirer' }
    }
    return { ...base, decision: 'forward', reason, toParty: acquirer.partyId }
  }
  const withheld = policy.nonCritical
  if (consumption) return { ...base, decision: withheld, reason: 'stale-cos-consumption' }
  // A response to the party's own request that carries no GBCS payload (an E4 rejection, an
  // acknowledgement) holds no customer data and tells the party its request failed.
  if (env.kind === 'response' && !env.hasGbcsPayload) {
    return { decision: 'deliver', reason: 'passthrough', deliverTo: fromParty, critical, mpxn: lost.mpxn }
  }
  return { ...base, decision: withheld, reason: 'stale-cos-noncritical' }
}

type RegisteredMpxn = MpxnFacts & { period: NonNullable<MpxnFacts['period']> }

function hasPeriod(m: MpxnFacts): m is RegisteredMpxn {
  return m.period !== undefined
}

/**
 * policy.graceWorkingDays = n > 0: the losing supplier still counts as responsible on the supply
 * start date and up to n working days after it.
 */
function withinGrace(m: MpxnFacts, day: string, graceDays: number, calendar: GraceCalendar): boolean {
  const ssd = m.recipientLastPeriod?.to
  if (graceDays <= 0 || ssd === undefined || day < ssd) return false
  return calendar.workingDaysBetween(ssd, day) <= graceDays
}
