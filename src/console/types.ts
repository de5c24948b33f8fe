import type { Credential } from '../admin/index.js'
import type { WorkingDayCalendar } from '../obligations/index.js'
import type { RegistryIndex } from '../registry/index.js'
import type { CommitOutcome, GatewayStore } from '../store/index.js'

/** The last registry load or reload, whoever asked for it (start, SIGHUP, admin API, console). */
export interface ReloadOutcome {
  at: number
  ok: boolean
  detail: string
  ms: number
}

/**
 * What the console needs of the store (the port in src/store/gateway-store.ts, either kind): the
 * admin API's reads and actions plus the console's summaries. A store that cannot answer one of
 * these throws its not-available StoreError: the page says so instead of failing.
 */
export type ConsoleStore = Pick<
  GatewayStore,
  | 'listQuarantine' | 'getQuarantine' | 'getQuarantineBody' | 'deleteQuarantined'
  | 'listObligations' | 'getObligation' | 'obligationEvents' | 'acknowledgeObligation'
  | 'writeAudit' | 'staleCosRows' | 'credentialsUpdatedTimes' | 'spoolDepth'
  | 'decisionsPerMinute' | 'quarantineByReason' | 'countQuarantineByReason' | 'quarantineIdsByReason' | 'auditPage' | 'auditActions'
>

/** What the console reads and does: the store port plus the gateway's own functions. */
export interface ConsoleDeps {
  credentials: readonly Credential[]
  /** served over TLS: the session cookie is Secure */
  tls: boolean
  /** admin.sessionMinutes */
  sessionMinutes: number
  store: ConsoleStore
  registry(): RegistryIndex
  registryFiles: Readonly<Record<'registrations' | 'devices' | 'parties', string>>
  lastReload(): ReloadOutcome | undefined
  reloadRegistry(): Promise<unknown>
  /** re-evaluates and releases (gateway/release.ts) */
  releaseQuarantined(id: string, actor: string): Promise<CommitOutcome>
  calendar: WorkingDayCalendar
  now(): number
}
