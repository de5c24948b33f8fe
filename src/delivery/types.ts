import type { SpoolItem } from '../store/types.js'

export type AttemptResult =
  | { outcome: 'ok' }
  | { outcome: 'retry'; error: string }
  | { outcome: 'rejected'; error: string }

/** One way of handing a spooled item to its target (an adapter URL, a webhook, the outbox). */
export interface Sender {
  /** metric label: adapter, outbox, notice */
  readonly label: string
  send(item: SpoolItem): Promise<AttemptResult>
  close?(): Promise<void>
}
