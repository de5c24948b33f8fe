// Front door of src/config: the schema-validated, defaulted, frozen configuration (README, "Configuration").
export { loadConfig, EMBEDDED_DEMO } from './load.js'
export type { LoadConfigOptions } from './load.js'
export { ConfigError, ConfigErrors } from './errors.js'
export type { ConfigErrorCode } from './errors.js'
export { parseDuration } from './duration.js'
export type { Config } from './types.js'
