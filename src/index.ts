// Programmatic entry: what the CLI, the integration tests and the benchmarks use.
export { startGateway, createLogger } from './gateway/index.js'
export type { Gateway, GatewayOptions } from './gateway/index.js'
export { loadConfig, ConfigError, EMBEDDED_DEMO } from './config/index.js'
export type { Config } from './config/types.js'
export { evaluate } from './pipeline.js'
export { REASONS, DECISIONS } from './policy/index.js'
export { IngressErrors } from './ingress/errors.js'
export { buildDuisDocument, buildGbcsStub, parseEnvelope, messageIdOf, DEFAULT_ENVELOPE_LIMITS } from './envelope/index.js'
export { loadRegistry } from './registry/index.js'
// the embedded store's class: tests that reach into SQLite itself (harness.ts sqliteOf)
export { SqliteStore } from './store/index.js'
