// Front door of src/console: the operator console under /console (docs/console.md).
export { createConsole, registerConsole, type ConsoleHandler } from './router.js'
export type { ConsoleDeps, ConsoleStore, ReloadOutcome } from './types.js'
export { CSP } from './http.js'
export { registerAckPage, type AckRouteDeps } from './ack-route.js'
