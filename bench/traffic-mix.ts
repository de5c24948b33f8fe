// The traffic mix of the 245k benchmark, in one place.
//
// The seed (SEC DP072): one month of SR 6.23s not run produced an estimated 244,764
// alerts to losing suppliers, 81,588 of them (one third) carrying reads. The DP072 test meter saw
// 3-4 alerts a day, one with a read and the rest mostly E4 rejections of DCC-held schedules.
// Around that stale-CoS core the tenant also sees its own customers' traffic, DCC Alerts, traffic
// for the failed supplier it serves as SRP, and a little that cannot be decided.

/** Share of all messages, by scenario (sums to 1). */
export const SCENARIOS = {
  /** addressed to the tenant for an MPxN it lost in a switch that never had SR 6.23 run */
  stale: 0.78,
  /** addressed to the tenant for an MPxN it never supplied (a registrations file behind a gain) */
  neverSupplied: 0.005,
  /** the tenant's SR 8.2 Read Inventory answered by the DCC: lists devices, some not in devices.csv */
  dspResponse: 0.005,
  /** the tenant's own customers */
  responsible: 0.12,
  /** DCC Alerts (N16 change of supplier, N42 credentials updated, AD1 power outage) */
  dccAlert: 0.04,
  /** addressed to the failed supplier, served by the tenant as SRP */
  srp: 0.025,
  /** addressed to another supplier's User ID (a misrouted message) */
  unknownRecipient: 0.01,
  /** a device that is not in devices.csv */
  unknownDevice: 0.01,
  /** not usable as DUIS: truncated, a header field missing, not XML */
  malformed: 0.005,
} as const

/** Within stale-CoS traffic: a third carries reads (DP072), the rest are alerts and E4s. */
export const STALE_READS = 1 / 3
/** Reads: 8F0A billing-data-log alerts (GBCS-critical) vs DSP-scheduled reads. */
export const READS_8F0A = 0.4
/** Of the non-read stale traffic: E4 rejections, critical (0xDF) and safety-listed alerts. */
export const STALE_E4 = 0.25
export const STALE_CRITICAL = 0.12
export const STALE_SAFETY = 0.08

/** Safety-listed codes the benchmark sends (a subset of the config's list below). */
export const SAFETY_CODES = ['8F0F', '81AA', '8168', '8F32', '81BD', '81BF', '8F3F', '8F1D']
/** Critical (0xDF) alerts not on the safety list. */
export const CRITICAL_CODES = ['8F57', '8F35', '8F3D', '8F1F', '81A0']
/** Non-critical (0xDD) alerts. */
export const NONCRITICAL_CODES = ['810D', '8119', '81AB', '8F34', '8F53']
export const DCC_ALERT_CODES = ['N16', 'N42', 'AD1']
/** The DCC's User ID (DCC Boxed): the default `dcc.userIds` of the benchmark's gateway config. */
export const DCC_USER_IDS = ['90-B3-D5-1F-30-00-00-02']

/** Written explicitly into the benchmark's gateway config, and used by the oracle. */
export const POLICY = {
  nonCritical: 'drop' as const,
  safetyListedCodes: [
    '8F0F', '81AA', '8168', '8F32', '8F33', '8F83', '81BD', '81C0', '81BF', '81B4', '81B6', '81BE',
    '8F1D', '8F3F', '8F73', '8F74', '8F75', '8F76', '8F77', '8F78', '81C3', '8F1B', '8F1C',
  ],
  consumptionDataCodes: ['8F0A'],
}

/** The replayed month: March 2025 (31 days, with the BST change on the 30th). */
export const MONTH_START = Date.UTC(2025, 2, 1)
export const MONTH_END = Date.UTC(2025, 3, 1)
