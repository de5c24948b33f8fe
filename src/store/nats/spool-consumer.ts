import type { Consumer, JsMsg } from '@nats-io/jetstream'
import type { SpoolItem } from '../types.js'
import { readSpoolHeaders } from './records.js'

/**
 * This instance's share of the cluster's spool: a pull loop on the durable consumer that every
 * gateway instance binds to, so JetStream hands each delivery to one instance at a time.
 *
 * States of a delivery here:
 *   fetched (held, ack timer running)  -> leased to the dispatcher (dueSpool)
 *   leased -> ack (adapter 2xx) | nak with delay (retry) | term (rejected, quarantined)
 * While held, `working()` every ackWait/3 keeps JetStream from giving it to another instance. If
 * this process dies, the heartbeats stop and after ackWait the delivery goes to another instance:
 * that is how a dead instance's deliveries move. Redelivery is at-least-once; the adapter sees the
 * same Idempotency-Key again only when a 2xx was not acknowledged in time.
 */
export class SpoolConsumer {
  #consumer: Consumer
  #held = new Map<number, { msg: JsMsg; item: SpoolItem; leased: boolean }>()
  #nextId = 1
  #cap: number
  #running = false
  #loop: Promise<void> | undefined
  #heartbeat: NodeJS.Timeout | undefined
  #room: (() => void) | undefined
  #ackWaitMs: number
  /** called when fetched deliveries are waiting (the dispatcher's wake) */
  onReady: (() => void) | undefined
  onError: ((err: unknown) => void) | undefined

  constructor(consumer: Consumer, cap: number, ackWaitMs: number) {
    this.#consumer = consumer
    this.#cap = Math.max(1, cap)
    this.#ackWaitMs = ackWaitMs
  }

  start(): void {
    this.#running = true
    this.#loop = this.#pull()
    this.#heartbeat = setInterval(() => {
      for (const h of this.#held.values()) h.msg.working()
    }, Math.max(250, Math.floor(this.#ackWaitMs / 3)))
    this.#heartbeat.unref()
  }

  get held(): number {
    return this.#held.size
  }

  /**
   * Fetched deliveries not yet handed out, oldest first; at most one per target + MPxN, as the
   * SQLite spool does within one instance. A delivery for a target whose breaker is open
   * (`blocked`: "<target> <party>") goes back to the cluster with a short delay instead of
   * occupying a slot here.
   */
  due(limit: number, blocked: readonly string[] = []): SpoolItem[] {
    const out: SpoolItem[] = []
    const busy = new Set<string>()
    for (const h of this.#held.values()) if (h.leased && h.item.mpxn !== null) busy.add(`${h.item.target} ${h.item.mpxn}`)
    for (const [id, h] of this.#held) {
      if (out.length >= limit) break
      if (h.leased) continue
      if (blocked.includes(`${h.item.target} ${h.item.party}`)) {
        this.release(id, 'nak', 1000)
        continue
      }
      const k = h.item.mpxn === null ? undefined : `${h.item.target} ${h.item.mpxn}`
      if (k !== undefined && busy.has(k)) continue
      if (k !== undefined) busy.add(k)
      h.leased = true
      out.push(h.item)
    }
    return out
  }

  /** true when something fetched is waiting to be handed out */
  get waiting(): boolean {
    for (const h of this.#held.values()) if (!h.leased) return true
    return false
  }

  /** held here and not attempted before (a first attempt in flight included), per "<target> <party>"; the rest of the backlog stays in JetStream */
  fresh(): Map<string, number> {
    const out = new Map<string, number>()
    for (const { item } of this.#held.values()) {
      if (item.attempts !== 0) continue
      const k = `${item.target} ${item.party}`
      out.set(k, (out.get(k) ?? 0) + 1)
    }
    return out
  }

  /** Acknowledged by the server (double ack) before it resolves: only then is the delivery done. */
  async ack(id: number): Promise<void> {
    const h = this.#held.get(id)
    if (h === undefined) return
    try {
      await h.msg.ackAck()
    } finally {
      this.#forget(id)
    }
  }

  release(id: number, how: 'nak' | 'term', delayMs = 0): void {
    const h = this.#held.get(id)
    if (h === undefined) return
    if (how === 'nak') h.msg.nak(delayMs)
    else h.msg.term()
    this.#forget(id)
  }

  /** The JetStream message behind an item (stream sequence for ids). */
  msgOf(id: number): JsMsg | undefined {
    return this.#held.get(id)?.msg
  }

  async stop(): Promise<void> {
    this.#running = false
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat)
    this.#room?.()
    await this.#loop
    // Not handed out yet: give them back now rather than after ackWait.
    for (const [id, h] of this.#held) if (!h.leased) this.release(id, 'nak')
  }

  #forget(id: number): void {
    this.#held.delete(id)
    this.#room?.()
  }

  async #pull(): Promise<void> {
    while (this.#running) {
      const free = this.#cap - this.#held.size
      if (free <= 0) {
        await new Promise<void>((r) => (this.#room = r))
        this.#room = undefined
        continue
      }
      try {
        const batch = await this.#consumer.fetch({ max_messages: free, expires: 1000 })
        for await (const msg of batch) this.#add(msg)
      } catch (err) {
        // no quorum, leader election, reconnecting: try again shortly
        this.onError?.(err)
        if (this.#running) await new Promise((r) => setTimeout(r, 250))
      }
    }
  }

  #add(msg: JsMsg): void {
    const s = readSpoolHeaders(msg.headers)
    if (s === undefined) {
      // not ours (published by something else on the subject): never deliverable
      msg.term('no Dccgw headers')
      return
    }
    const id = this.#nextId++
    const item: SpoolItem = {
      id,
      messageId: s.messageId,
      target: s.target,
      party: s.party,
      mpxn: s.mpxn,
      contentType: s.contentType,
      body: Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength),
      headers: s.headers,
      attempts: msg.info.deliveryCount - 1,
      nextAttemptAt: Date.now(),
      createdAt: s.createdAt,
      obligationId: s.obligationId,
    }
    this.#held.set(id, { msg, item, leased: false })
    this.onReady?.()
  }
}
