// Programmatic entry: what the CLI, the integration tests and the benchmarks use. Test and bench
// support (DUIS builders, GBCS stubs, the reference parser, signing) lives in test/support.
export { startGateway, createLogger } from './gateway/index.js'
export { systemClock } from './clock/index.js'
export type { Clock, ClockTimer } from './clock/index.js'
export type { Gateway, GatewayOptions } from './gateway/index.js'
export { loadConfig, ConfigError, EMBEDDED_DEMO } from './config/index.js'
export type { Config } from './config/index.js'
export { evaluate } from './pipeline.js'
export { REASONS, DECISIONS } from './policy/index.js'
export { IngressErrors } from './http/index.js'
export { parseEnvelope, messageIdOf, DEFAULT_ENVELOPE_LIMITS } from './envelope/index.js'
export { loadRegistry } from './registry/index.js'
