import type { DecisionKind, Reason } from './reasons.js'

/** The outcome of policy for one message: exactly one decision and one reason. Plain data. */
export interface Decision {
  decision: DecisionKind
  reason: Reason
  /** deliver: the party whose adapter receives the original bytes */
  deliverTo?: string
  /** forward: the losing party the message was addressed to */
  fromParty?: string
  /** stale-CoS decisions: the acquiring supplier (for forward, the one that gets the notice) */
  toParty?: string
  /** the MPxN the decision was judged on, when there was one */
  mpxn?: string
  /** GBCS 0xDF or safety-listed */
  critical: boolean
  /** supply start date of the gaining supplier, for stale-CoS decisions */
  supplyStartDate?: string
}

export interface PolicySettings {
  tenants: readonly string[]
  nonCritical: 'drop' | 'quarantine'
  safetyListedCodes: ReadonlySet<string>
  consumptionDataCodes: ReadonlySet<string>
  graceWorkingDays: number
  /** dcc.userIds, upper case: the DCC's own User IDs (is this the DCC?) */
  dccUserIds: ReadonlySet<string>
}
