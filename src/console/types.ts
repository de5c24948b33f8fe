import type { Database } from 'better-sqlite3'
import type { Credential, ObligationReader, QuarantineReader } from '../admin/index.js'
import type { WorkingDayCalendar } from '../obligations/index.js'
import type { RegistryIndex } from '../registry/types.js'
import type { CommitOutcome } from '../store/index.js'

/** The last registry load or reload, whoever asked for it (start, SIGHUP, admin API, console). */
export interface ReloadOutcome {
  at: number
  ok: boolean
  detail: string
  ms: number
}

/**
 * What the console reads and does: the same functions the admin router uses (src/admin/router.ts),
 * plus the few reads only the console needs. `db()` is undefined with store.kind nats: the pages
 * that need SQLite say so instead of failing.
 */
export interface ConsoleDeps {
  credentials: readonly Credential[]
  /** served over TLS: the session cookie is Secure */
  tls: boolean
  /** admin.sessionMinutes */
  sessionMinutes: number
  quarantine: QuarantineReader
  obligations: ObligationReader
  db(): Database | undefined
  spoolDepth(): { target: string; n: number; oldest: number }[]
  registry(): RegistryIndex
  registryFiles: Readonly<Record<'registrations' | 'devices' | 'parties', string>>
  lastReload(): ReloadOutcome | undefined
  reloadRegistry(): Promise<unknown>
  releaseQuarantined(id: string, actor: string): Promise<CommitOutcome>
  deleteQuarantined(id: string, actor: string): Promise<boolean>
  acknowledge(id: string, actor: string): Promise<'ok' | 'not-found' | 'already'>
  audit(actor: string, action: string, target: string | null, detail: string | null): Promise<void>
  calendar: WorkingDayCalendar
  now(): number
}
