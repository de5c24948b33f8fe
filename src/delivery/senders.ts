import { resolve } from 'node:path'
import type { Config } from '../config/index.js'
import type { RegistryIndex } from '../registry/index.js'
import type { SpoolItem } from '../store/index.js'
import { FALLBACK_LEVEL, emailsAt } from '../obligations/index.js'
import { HttpSender } from './target-http.js'
import { NoticeSender, noticeJson, withAckLink } from './target-notice.js'
import { OutboxSender } from './target-outbox.js'
import { SmtpSender } from './target-smtp.js'
import type { Sender } from './types.js'

/**
 * Resolves a spool item to its sender from the registry in force *now* (a reload may have changed
 * a party's adapter URL): adapter items go to `adapter.url`, notices to `criticalAlerts.endpoint`,
 * and either falls back to the outbox folder.
 */
export class SenderDirectory {
  #http = new Map<string, HttpSender>()
  #outbox: OutboxSender
  #registry: () => RegistryIndex
  #config: Config
  #smtp: SmtpSender | undefined
  #ackLink: ((obligationId: string, dueAt: number) => string) | undefined
  /** notice channels already done per spool item (see NoticeSender) */
  #noticeDone = new Set<string>()

  constructor(config: Config, registry: () => RegistryIndex, opts: { ackLink?: (obligationId: string, dueAt: number) => string } = {}) {
    this.#config = config
    this.#registry = registry
    this.#outbox = new OutboxSender(outboxDir(config))
    this.#ackLink = opts.ackLink
    const smtp = config.smtp
    if (smtp.host !== '') this.#smtp = new SmtpSender({ ...smtp, timeoutMs: config.delivery.timeoutMs })
  }

  senderFor(item: SpoolItem): Sender {
    const party = this.#registry().party(item.party)
    if (item.target === 'notice') return this.#noticeSender(item, party)
    const url = party?.adapter?.url
    return url === undefined ? this.#outbox : this.#httpSender('adapter', url)
  }

  /**
   * Notice channels (docs/obligations.md, "Notices"): webhook when the party has an endpoint; e-mail when SMTP
   * is configured and the contacts of the notice's level (primary, secondary, escalation) have
   * addresses; the outbox folder only when neither. Non-DCC-User parties are reached the same way.
   */
  #noticeSender(item: SpoolItem, party: ReturnType<RegistryIndex['party']>): Sender {
    const level = Number(noticeJson(item.body).level ?? 0) || 0
    // after the party's last level: obligations.fallbackContact (the SECAS helpdesk, docs/obligations.md)
    const fallback = level === FALLBACK_LEVEL ? this.#config.obligations.fallbackContact : undefined
    const endpoint = fallback !== undefined ? (fallback.endpoint || undefined) : party?.criticalAlerts?.endpoint
    const to = this.#smtp === undefined ? [] : fallback !== undefined ? (fallback.email ? [fallback.email] : []) : emailsAt(party, level)
    const webhook = endpoint === undefined ? undefined : this.#httpSender('notice', endpoint)
    const email = this.#smtp !== undefined && to.length > 0 ? { sender: this.#smtp, to } : undefined
    const link = this.#ackLink
    return new NoticeSender(
      {
        ...(webhook && { webhook }), ...(email && { email }), ...(!webhook && !email && { outbox: this.#outbox }),
        outboxNotifies: fallback === undefined && this.#config.obligations.outboxParties.includes(item.party),
      },
      this.#noticeDone,
      link === undefined ? (i) => i : (i) => withAckLink(i, link),
    )
  }

  #httpSender(label: string, url: string): HttpSender {
    const key = `${label} ${url}`
    let sender = this.#http.get(key)
    if (sender === undefined) {
      sender = new HttpSender({ label, url, timeoutMs: this.#config.delivery.timeoutMs, connections: this.#config.delivery.concurrency })
      this.#http.set(key, sender)
    }
    return sender
  }

  /**
   * Parties a notice could not reach today (docs/obligations.md): a tenant (critical-quarantined and
   * install-code escalations go to it) or a party with a critical-alert contact (policy forwards to
   * it), that has no webhook, no e-mail this gateway can send (smtp.host unset)
   * and are not in obligations.outboxParties. Sorted party ids.
   */
  unreachableParties(): string[] {
    const out: string[] = []
    for (const p of this.#registry().parties()) {
      const ca = p.criticalAlerts
      const email = ca?.contacts.some((c) => !!c.email) ?? false
      // a tenant gets critical-quarantined notices whatever it lists; another party only if it lists a channel
      if (!this.#config.tenants.includes(p.id) && ca?.endpoint === undefined && !email) continue
      if (ca?.endpoint !== undefined || (this.#smtp !== undefined && email)) continue
      if (!this.#config.obligations.outboxParties.includes(p.id)) out.push(p.id)
    }
    return out.sort()
  }

  /** obligations.fallbackContact is set but only by e-mail, and smtp.host is not: it can never be reached */
  fallbackUnreachable(): boolean {
    const f = this.#config.obligations.fallbackContact
    return f.endpoint === '' && f.email !== '' && this.#smtp === undefined
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#http.values(), this.#outbox].map((s) => s.close()))
    await this.#smtp?.close()
  }
}

export function outboxDir(config: Config): string {
  return resolve(config.store.path, config.delivery.outboxDir)
}
