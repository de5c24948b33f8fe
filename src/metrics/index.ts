export {
  DELIVERY_OUTCOMES, DELIVERY_TARGETS, GatewayMetrics, INGRESS_STATUSES, MESSAGE_KINDS, OBLIGATION_STATUSES, OBLIGATION_TRANSITION_STATUSES,
  OBLIGATION_TYPES, REASON_CODES, REGISTRY_ENTRY_KINDS, REGISTRY_FILES, REGISTRY_RELOAD_OUTCOMES, SPOOL_TARGETS,
} from './gateway-metrics.js'
export type { PoolSample, RegistryFile } from './gateway-metrics.js'
export { registrySourceTimes } from './registry-sources.js'
