export { GatewayMetrics, OBLIGATION_STATUSES, OBLIGATION_TYPES, REGISTRY_FILES, SPOOL_TARGETS } from './gateway-metrics.js'
export type { PoolSample, RegistryFile } from './gateway-metrics.js'
export { registrySourceTimes } from './registry-sources.js'
