// Where the package's own files are (schema, embedded demo), and which settings are paths.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Settings whose relative values are resolved: against the config file's folder when they come
 * from the file or from a schema default, against the working directory when they come from a
 * DCC_GATEWAY_* variable or a programmatic override (README, "Configuration"). delivery.outboxDir is
 * resolved against store.path instead (its schema description).
 */
export const PATH_SETTINGS = [
  '/registry/registrations', '/registry/devices', '/registry/parties', '/store/path',
  '/server/tls/cert', '/server/tls/key', '/server/tls/ca',
] as const

let root: string | undefined

/** The folder holding package.json, found from this module (src/config/ or dist/config/). */
export function packageRoot(): string {
  if (root) return root
  const start = dirname(fileURLToPath(import.meta.url))
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return (root = dir)
    if (dirname(dir) === dir) throw new Error(`package.json not found above ${start}`)
  }
}

export const schemaFile = (): string => join(packageRoot(), 'schemas', 'config.schema.json')
export const demoConfigFile = (): string => join(packageRoot(), 'examples', 'demo', 'gateway.yaml')
