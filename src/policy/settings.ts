import type { Config } from '../config/index.js'
import type { PolicySettings } from './types.js'

/** Built once per configuration (do the work at configuration time). */
export function policySettings(config: Config): PolicySettings {
  const upper = (codes: readonly string[]) => new Set(codes.map((c) => c.toUpperCase()))
  return {
    tenants: [...config.tenants],
    nonCritical: config.policy.nonCritical,
    safetyListedCodes: upper(config.policy.safetyListedCodes),
    consumptionDataCodes: upper(config.policy.consumptionDataCodes),
    graceWorkingDays: config.policy.graceWorkingDays,
    dccUserIds: upper(config.dcc.userIds),
  }
}
