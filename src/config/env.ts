// DCC_GATEWAY_<SECTION>_<KEY> overrides (README, "Configuration"). SECTION and KEY match schema names
// case-insensitively, with or without underscores between words: DCC_GATEWAY_LIMITS_MAXBODYBYTES
// and DCC_GATEWAY_LIMITS_MAX_BODY_BYTES both set limits.maxBodyBytes; nested objects continue
// the chain (DCC_GATEWAY_SERVER_TLS_CERT). Top-level leaves have no KEY (DCC_GATEWAY_TENANTS).
// Values are coerced by the schema type; what cannot be coerced is passed on as the string so
// that validation reports it against the variable's name.
import { ConfigError } from './errors.js'

export const ENV_PREFIX = 'DCC_GATEWAY_'
/** Names the configuration file; not a setting. */
export const ENV_CONFIG_FILE = 'DCC_GATEWAY_CONFIG'

export interface SchemaNode {
  type?: string | string[]
  properties?: Record<string, SchemaNode>
  items?: SchemaNode
  enum?: unknown[]
  default?: unknown
  description?: string
  [keyword: string]: unknown
}

export interface EnvOverride {
  readonly variable: string
  /** JSON pointer of the setting, e.g. /server/port */
  readonly pointer: string
  readonly value: unknown
}

/** The overrides named by `env`, in variable-name order; throws ConfigError for unknown names. */
export function envOverrides(env: NodeJS.ProcessEnv, schema: SchemaNode): EnvOverride[] {
  const out: EnvOverride[] = []
  const problems: string[] = []
  for (const variable of Object.keys(env).sort()) {
    const raw = env[variable]
    if (!variable.startsWith(ENV_PREFIX) || variable === ENV_CONFIG_FILE || raw === undefined) continue
    const tokens = variable.slice(ENV_PREFIX.length).toLowerCase().split('_').filter(Boolean)
    const found = findLeaf(schema, tokens, '')
    if (found) out.push({ variable, pointer: found.pointer, value: coerce(raw, found.node) })
    else problems.push(`${variable}: ${unknownVariable(schema, tokens)}`)
  }
  if (problems.length) throw new ConfigError(problems)
  return out
}

function findLeaf(node: SchemaNode, tokens: string[], pointer: string): { pointer: string; node: SchemaNode } | undefined {
  const props = node.properties ?? {}
  for (let k = 1; k <= tokens.length; k++) {
    const name = tokens.slice(0, k).join('')
    const key = Object.keys(props).find((p) => p.toLowerCase() === name)
    if (!key) continue
    const child = props[key]!
    const rest = tokens.slice(k)
    if (rest.length === 0 && !child.properties) return { pointer: `${pointer}/${key}`, node: child }
    if (rest.length > 0 && child.properties) {
      const found = findLeaf(child, rest, `${pointer}/${key}`)
      if (found) return found
    }
  }
  return undefined
}

function unknownVariable(schema: SchemaNode, tokens: string[]): string {
  const props = schema.properties ?? {}
  const section = Object.keys(props).find((p) => p.toLowerCase() === tokens[0])
  const sectionNode = section === undefined ? undefined : props[section]
  if (section === undefined || !sectionNode?.properties) {
    return `unknown setting (expected ${ENV_PREFIX}<SECTION>_<KEY>, SECTION one of ${Object.keys(props).join(', ')})`
  }
  return `unknown setting in section ${section} (expected one of ${Object.keys(sectionNode.properties).join(', ')})`
}

function coerce(raw: string, node: SchemaNode): unknown {
  const s = raw.trim()
  switch (node.type) {
    case 'integer':
      return /^[+-]?\d+$/.test(s) ? Number(s) : raw
    case 'number':
      return s !== '' && Number.isFinite(Number(s)) ? Number(s) : raw
    case 'boolean':
      return /^(true|1)$/i.test(s) ? true : /^(false|0)$/i.test(s) ? false : raw
    case 'array':
      return s.split(',').map((item) => item.trim()).filter((item) => item !== '')
    default:
      return raw
  }
}
