// The one list of decisions and reason codes (README, "Decisions and reasons"). README's table is checked against it.

export type DecisionKind = 'deliver' | 'forward' | 'drop' | 'quarantine'

export const REASONS = {
  responsible: 'the addressed party supplies the MPxN at the message time',
  'grace-period': 'the addressed party lost supply, but within policy.graceWorkingDays of the supply start date',
  'dcc-alert': 'a DCC Alert: always delivered to the addressed party',
  passthrough: 'nothing to judge: a response to a DCC service request (RequestID target in dcc.userIds), no device or MPxN (acknowledgement, payload-free E4), or a non-supplier role',
  'solr-delegated': "the addressed party's traffic is delegated (SoLR / Shared Resource Provider) to another party",
  'stale-cos-critical': 'critical (GBCS 0xDF) alert for an MPxN the party no longer supplies: notice to the acquiring supplier',
  'safety-listed': 'safety-listed alert code for an MPxN the party no longer supplies: notice to the acquiring supplier',
  'stale-cos-noncritical': 'non-critical traffic for an MPxN the party no longer supplies',
  'stale-cos-consumption': 'consumption data (DSP-scheduled read, billing-data-log alert) for an MPxN the party no longer supplies',
  'never-supplied': 'the addressed party (or a party it serves or is served by under a delegation) never supplied the MPxN up to the message time: not stale, usually a registrations file behind a gain',
  'unknown-device': 'the device is not in the registry',
  'unknown-mpxn': 'the MPxN has no registration at the message time (or the device lists no MPxN of the addressed role, e.g. no export MPAN for an ES User)',
  'unknown-recipient': 'the addressed User ID is not a party this gateway serves',
  'unknown-acquirer': 'a critical alert must be forwarded but the acquiring supplier is unknown or has no endpoint or contact',
  malformed: 'not well-formed XML, not a DUIS Response, or missing required header fields',
  'adapter-rejected': 'the adapter answered with a 4xx other than 408 or 429',
  'bad-signature': 'security.verifySignatures is on and the enveloped XML signature is missing or does not verify against security.dccCertificates',
  'operator-released': 'released from quarantine by an operator and delivered as is',
} as const

export type Reason = keyof typeof REASONS

export const DECISIONS: readonly DecisionKind[] = ['deliver', 'forward', 'drop', 'quarantine']
