import { pino } from 'pino'
import type { Logger } from 'pino'
import type pinoPrettyModule from 'pino-pretty'
import { createRequire } from 'node:module'
import type { Config } from '../config/index.js'

// pino-pretty (CommonJS) is loaded only for a terminal: ~30 ms of every start otherwise
const require = createRequire(import.meta.url)

/**
 * pino JSON lines (docs/operations.md, "Logs and signals"), one object per line for pipes, files, containers and log
 * shippers; pino-pretty only when the destination is a terminal (a person is reading).
 * `dest` is for tests; by default stdout.
 */
export function createLogger(config: Config, dest?: NodeJS.WritableStream & { isTTY?: boolean }): Logger {
  const opts = { level: config.log.level, base: { service: 'dcc-alert-gateway' } }
  const tty = (dest ?? process.stdout).isTTY === true
  if (tty) return pino(opts, (require('pino-pretty') as typeof pinoPrettyModule)({ colorize: dest === undefined, sync: true, ...(dest !== undefined && { destination: dest }) }))
  return dest === undefined ? pino(opts) : pino(opts, dest)
}
