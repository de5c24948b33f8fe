import { resolve } from 'node:path'
import type { Config } from '../config/types.js'
import type { RegistryIndex } from '../registry/types.js'
import type { SpoolItem } from '../store/types.js'
import { HttpSender } from './target-http.js'
import { OutboxSender } from './target-outbox.js'
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

  constructor(config: Config, registry: () => RegistryIndex) {
    this.#config = config
    this.#registry = registry
    this.#outbox = new OutboxSender(outboxDir(config))
  }

  senderFor(item: SpoolItem): Sender {
    const party = this.#registry().party(item.party)
    const url = item.target === 'notice' ? party?.criticalAlerts?.endpoint : party?.adapter?.url
    if (url === undefined) return this.#outbox
    const label = item.target === 'notice' ? 'notice' : 'adapter'
    const key = `${label} ${url}`
    let sender = this.#http.get(key)
    if (sender === undefined) {
      sender = new HttpSender({ label, url, timeoutMs: this.#config.delivery.timeoutMs, connections: this.#config.delivery.concurrency })
      this.#http.set(key, sender)
    }
    return sender
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#http.values()].map((s) => s.close()))
  }
}

export function outboxDir(config: Config): string {
  return resolve(config.store.path, config.delivery.outboxDir)
}
