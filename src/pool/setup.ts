import type { Config } from '../config/index.js'
import type { WorkerSetup } from './types.js'

/** The cloneable part of the configuration a worker needs (limits, tenants, policy, dcc, calendar). */
export function workerSetup(config: Config): WorkerSetup {
  return { limits: config.limits, tenants: config.tenants, policy: config.policy, dcc: config.dcc, calendar: config.calendar }
}
