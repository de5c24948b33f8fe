// loadConfig: file (or the embedded demo) -> DCC_GATEWAY_* overrides -> programmatic
// overrides -> schema validation with defaults -> paths made absolute -> deep-frozen Config.
import { dirname, isAbsolute, relative, resolve } from 'node:path'
import { ENV_CONFIG_FILE, envOverrides } from './env.js'
import { ConfigError } from './errors.js'
import { PATH_SETTINGS, demoConfigFile } from './paths.js'
import { deepFreeze, getAt, isPlainObject, setAt } from './pointer.js'
import { readConfigFile } from './read-file.js'
import type { Config } from './types.js'
import { configSchema, validateConfig } from './validate.js'

/**
 * `Config.configFile` when no file was given: `serve` without --config and without
 * DCC_GATEWAY_CONFIG runs examples/demo/gateway.yaml from the package (docs/operations.md, "Command line"), with its
 * registry files read from the package and store.path resolved against the working directory.
 */
export const EMBEDDED_DEMO = '<embedded demo>'

export interface LoadConfigOptions {
  /** configuration file; else env.DCC_GATEWAY_CONFIG; else the embedded demo */
  file?: string
  /** default process.env */
  env?: NodeJS.ProcessEnv
  /** applied last (e.g. CLI flags); relative paths resolve against cwd */
  overrides?: object
  /** default process.cwd() */
  cwd?: string
}

export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env
  const cwd = opts.cwd ?? process.cwd()
  const named = opts.file ?? env[ENV_CONFIG_FILE] ?? undefined
  const demo = named === undefined || named === ''
  const file = demo ? demoConfigFile() : resolve(cwd, named)
  const fileLabel = demo ? file : displayPath(file, cwd)
  const readLabel = opts.file === undefined && !demo ? `${ENV_CONFIG_FILE}=${fileLabel}` : fileLabel

  const data = readConfigFile(file, readLabel)
  if (!isPlainObject(data)) throw new ConfigError([`${fileLabel}: the top level must be a mapping of sections (got ${typeof data})`])

  // Later sources win; each remembers which settings it set, for error messages.
  const sources = new Map<string, string>()
  const put = (pointer: string, value: unknown, source: string) => {
    const isPath = (PATH_SETTINGS as readonly string[]).includes(pointer)
    if (setAt(data, pointer, isPath && typeof value === 'string' && value !== '' ? resolve(cwd, value) : value)) {
      sources.set(pointer, source)
    }
  }
  for (const o of envOverrides(env, configSchema())) put(o.pointer, o.value, o.variable)
  for (const [pointer, value] of leaves(structuredClone(opts.overrides ?? {}), '')) put(pointer, value, 'overrides')

  const problems = validateConfig(data, (pointer) => sourceOf(pointer, sources) ?? fileLabel)
  if (problems.length) throw new ConfigError(problems)

  // Relative paths left are from the file or from defaults (README, "Configuration": relative to the file).
  const folder = dirname(file)
  for (const pointer of PATH_SETTINGS) {
    const value = getAt(data, pointer)
    const base = demo && pointer === '/store/path' ? cwd : folder
    if (typeof value === 'string' && value !== '') setAt(data, pointer, resolve(base, value))
  }
  const store = data.store as { path: string }
  const delivery = data.delivery as { outboxDir: string }
  delivery.outboxDir = resolve(store.path, delivery.outboxDir)
  const registry = data.registry as { snapshotDir: string; deltaDir: string }
  registry.snapshotDir = resolve(store.path, registry.snapshotDir)
  registry.deltaDir = resolve(store.path, registry.deltaDir)

  return deepFreeze({ ...data, configFile: demo ? EMBEDDED_DEMO : file } as unknown as Config)
}

/** [pointer, value] of every non-object value; arrays are values (they replace, not merge). */
function* leaves(value: unknown, pointer: string): Generator<[string, unknown]> {
  if (!isPlainObject(value)) {
    if (pointer) yield [pointer, value]
    return
  }
  for (const [k, v] of Object.entries(value)) yield* leaves(v, `${pointer}/${k}`)
}

function sourceOf(pointer: string, sources: ReadonlyMap<string, string>): string | undefined {
  for (let p = pointer; p; p = p.slice(0, p.lastIndexOf('/'))) {
    const source = sources.get(p)
    if (source) return source
  }
  return undefined
}

function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file
}
