import type { GatewayConfig } from './config.types.js'

/** Every field present (defaults applied by ajv from the schema), read-only. */
type Resolved<T> = T extends readonly (infer U)[]
  ? readonly Resolved<U>[]
  : T extends object
    ? { readonly [K in keyof T]-?: Resolved<NonNullable<T[K]>> }
    : T

type ServerSection = NonNullable<GatewayConfig['server']>
type TlsSection = NonNullable<ServerSection['tls']>

/** The validated, defaulted, frozen configuration. Paths are absolute. */
export type Config = Resolved<Omit<GatewayConfig, 'server'>> & {
  readonly server: Resolved<Omit<ServerSection, 'tls'>> & {
    readonly tls?: Resolved<Omit<TlsSection, 'ca'>> & { readonly ca?: string }
  }
  /** absolute path of the configuration file, or EMBEDDED_DEMO ('<embedded demo>') */
  readonly configFile: string
}
