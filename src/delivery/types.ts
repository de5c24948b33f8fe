import type { SpoolItem } from '../store/index.js'

export type AttemptResult =
  /**
   * `unreachable`: the item was written somewhere (the outbox folder) that does not count as
   * reaching the party (docs/obligations.md): the spool item is done, its obligation not notified
   */
  | { outcome: 'ok'; unreachable?: boolean }
  | { outcome: 'retry'; error: string }
  | { outcome: 'rejected'; error: string }

/** One way of handing a spooled item to its target (an adapter URL, a webhook, the outbox). */
export interface Sender {
  /** metric label: adapter, outbox, notice */
  readonly label: string
  send(item: SpoolItem): Promise<AttemptResult>
  close?(): Promise<void>
}
