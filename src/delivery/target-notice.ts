import type { SpoolItem } from '../store/index.js'
import type { SmtpSender } from './target-smtp.js'
import type { AttemptResult, Sender } from './types.js'

/**
 * One notice, several channels (docs/obligations.md, "Notices"): the webhook when the party has
 * `criticalAlerts.endpoint`, e-mail when SMTP is configured and the contacts of the notice's level
 * have addresses, the outbox folder only when neither applies. The outbox counts as reaching the
 * party only when the operator listed it in `obligations.outboxParties` (`outboxNotifies`);
 * otherwise the result is ok but `unreachable` (docs/obligations.md). The spool item is done when every
 * channel took it; a channel that already took it is not tried again while this process runs
 * (after a restart it may repeat: the webhook has the Idempotency-Key, the e-mail a stable
 * Message-ID).
 */
export interface NoticeChannels {
  webhook?: Sender
  email?: { sender: SmtpSender; to: readonly string[] }
  outbox?: Sender
  /** writing to the outbox counts as notifying (obligations.outboxParties lists the party) */
  outboxNotifies?: boolean
}

export class NoticeSender implements Sender {
  readonly label: string
  #channels: NoticeChannels
  #done: Set<string>
  #enrich: (item: SpoolItem) => SpoolItem

  constructor(channels: NoticeChannels, done: Set<string>, enrich: (item: SpoolItem) => SpoolItem) {
    this.#channels = channels
    this.#done = done
    this.#enrich = enrich
    this.label = [channels.webhook && 'notice', channels.email && 'email', channels.outbox && 'outbox'].filter(Boolean).join('+')
  }

  async send(item: SpoolItem): Promise<AttemptResult> {
    const ready = this.#enrich(item)
    const { webhook, email, outbox } = this.#channels
    const attempts: [string, () => Promise<AttemptResult>][] = []
    if (webhook) attempts.push(['webhook', () => webhook.send(ready)])
    if (email) attempts.push(['email', () => email.sender.send(ready, email.to)])
    if (outbox) attempts.push(['outbox', () => outbox.send(ready)])
    const failed: AttemptResult[] = []
    for (const [name, attempt] of attempts) {
      const key = `${item.id}:${name}`
      if (this.#done.has(key)) continue
      const r = await attempt()
      if (r.outcome === 'ok') this.#done.add(key)
      else failed.push({ ...r, error: `${name}: ${r.error}` } as AttemptResult)
    }
    if (failed.length === 0) {
      for (const [name] of attempts) this.#done.delete(`${item.id}:${name}`)
      return webhook || email || this.#channels.outboxNotifies ? { outcome: 'ok' } : { outcome: 'ok', unreachable: true }
    }
    const error = failed.map((f) => (f.outcome === 'ok' ? '' : f.error)).join('; ')
    return failed.some((f) => f.outcome === 'retry') ? { outcome: 'retry', error } : { outcome: 'rejected', error }
  }
}

/** A notice's JSON (docs/obligations.md, "Notices"): the fields the senders read. */
export interface NoticeJson {
  readonly level?: unknown
  readonly text?: string
  readonly acknowledgeBy?: string
  readonly ackUrl?: string
  readonly [field: string]: unknown
}
const parsedNotices = new WeakMap<Uint8Array, NoticeJson>()

/**
 * A spooled notice's JSON, parsed once per body: choosing the channels, adding the link and each
 * channel read the same bytes (and a retry reads them again). Read only.
 */
export function noticeJson(body: Buffer): NoticeJson {
  let n = parsedNotices.get(body)
  if (n === undefined) {
    n = JSON.parse(body.toString('utf8')) as NoticeJson
    parsedNotices.set(body, n)
  }
  return n
}

/** Adds the signed acknowledgement link to a spooled notice (JSON `ackUrl`, and a line of text). */
export function withAckLink(item: SpoolItem, link: (obligationId: string, dueAt: number) => string): SpoolItem {
  if (item.obligationId === null) return item
  const n = noticeJson(item.body)
  const dueAt = Date.parse(n.acknowledgeBy ?? '')
  if (Number.isNaN(dueAt) || n.ackUrl !== undefined) return item
  const ackUrl = link(item.obligationId, dueAt)
  const linked: NoticeJson = { ...n, ackUrl, text: `${n.text ?? ''}Acknowledge here: ${ackUrl}\n` }
  const body = Buffer.from(JSON.stringify(linked))
  parsedNotices.set(body, linked)
  return { ...item, body }
}
