import type { SpoolItem } from './types.js'

/**
 * The spool of the journaled store, in memory (docs/journal.md): per target and party, per MPxN
 * FIFO lanes fed directly by the journal append, so the dispatcher's `dueSpool` and `nextDueAt` are
 * no SQL query. Per lane only the head is offered (never two deliveries of one household at once,
 * in arrival order); a message without an MPxN is a lane of its own. Depth, bytes and the oldest
 * item are kept as counters and insertion-ordered maps, not scans.
 *
 * Durability is not here: every item is a journal record (or a SQLite spool row after a restart or
 * a side write); this is the index the dispatcher reads.
 */
export interface Lane {
  key: string
  items: SpoolItem[]
  head: number
}

interface Group {
  target: string
  party: string
  lanes: Map<string, Lane>
  /** items not attempted yet (attempts 0): the backlog ingress is bounded by (limits.maxWaitingDeliveries) */
  fresh: number
}

export class MemorySpool {
  /** "<target> <party>" -> lanes: a blocked breaker key skips its whole group */
  readonly #groups = new Map<string, Group>()
  readonly #items = new Map<number, { item: SpoolItem; lane: Lane; group: Group; bytes: number }>()
  /** per target, insertion-ordered: depth and the oldest item without a scan */
  readonly #byTarget = new Map<string, Map<number, SpoolItem>>()
  #bytes = 0
  #nextId = 1

  /** a fresh local id (SpoolItem.id) for an item about to be added */
  nextId(): number {
    return this.#nextId++
  }

  get size(): number {
    return this.#items.size
  }

  has(id: number): boolean {
    return this.#items.has(id)
  }

  get(id: number): SpoolItem | undefined {
    return this.#items.get(id)?.item
  }

  add(item: SpoolItem): void {
    const gk = `${item.target} ${item.party}`
    let group = this.#groups.get(gk)
    if (group === undefined) {
      group = { target: item.target, party: item.party, lanes: new Map(), fresh: 0 }
      this.#groups.set(gk, group)
    }
    const lk = item.mpxn === null ? `#${item.id}` : item.mpxn
    let lane = group.lanes.get(lk)
    if (lane === undefined) {
      lane = { key: lk, items: [], head: 0 }
      group.lanes.set(lk, lane)
    }
    lane.items.push(item)
    if (item.attempts === 0) group.fresh++
    this.#items.set(item.id, { item, lane, group, bytes: item.body.byteLength })
    let t = this.#byTarget.get(item.target)
    if (t === undefined) this.#byTarget.set(item.target, (t = new Map()))
    t.set(item.id, item)
    this.#bytes += item.body.byteLength
  }

  /** items in arrival order (the journaled store releases bodies over its memory cap from here) */
  values(): IterableIterator<SpoolItem> {
    return [...this.#items.values()].map((e) => e.item)[Symbol.iterator]()
  }

  /** Removes a delivered, rejected or moved item (normally its lane's head). */
  remove(id: number): SpoolItem | undefined {
    const e = this.#items.get(id)
    if (e === undefined) return undefined
    this.#items.delete(id)
    const { item, lane, group } = e
    if (item.attempts === 0) group.fresh--
    if (lane.items[lane.head] === item) {
      lane.head++
      if (lane.head > 64 && lane.head * 2 > lane.items.length) {
        lane.items.splice(0, lane.head)
        lane.head = 0
      }
    } else {
      lane.items.splice(lane.items.indexOf(item), 1)
    }
    if (lane.head >= lane.items.length) {
      group.lanes.delete(lane.key)
      if (group.lanes.size === 0) this.#groups.delete(`${group.target} ${group.party}`)
    }
    this.#byTarget.get(item.target)?.delete(id)
    this.#bytes -= e.bytes
    return item
  }

  /** An attempt failed: the item is due again at `at` (and no longer counts as waiting). */
  retryLater(item: SpoolItem, at: number): void {
    const e = this.#items.get(item.id)
    if (e !== undefined && item.attempts === 0) e.group.fresh--
    item.attempts++
    item.nextAttemptAt = at
  }

  /**
   * Deliveries not attempted yet per "<target> <party>" group: what ingress has accepted and the
   * dispatcher has not reached (a counter per group, not a scan); groups with none are left out.
   */
  waiting(): Map<string, number> {
    const out = new Map<string, number>()
    for (const [gk, g] of this.#groups) if (g.fresh > 0) out.set(gk, g.fresh)
    return out
  }

  /**
   * Due lane heads, oldest due first, none of the `blocked` "<target> <party>" keys, at most
   * `limit`. Each group contributes at most `limit` candidates, then they are merged by due time,
   * so one busy party cannot starve another.
   */
  due(now: number, limit: number, blocked: readonly string[] = []): SpoolItem[] {
    const skip = blocked.length === 0 ? undefined : new Set(blocked)
    const out: SpoolItem[] = []
    let groups = 0
    for (const [gk, g] of this.#groups) {
      if (skip?.has(gk)) continue
      groups++
      let n = 0
      for (const lane of g.lanes.values()) {
        const head = lane.items[lane.head]!
        if (head.nextAttemptAt > now) continue
        out.push(head)
        if (++n >= limit) break
      }
    }
    if (groups > 1) out.sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id)
    if (out.length > limit) out.length = limit
    return out
  }

  /** the earliest due time of a lane head outside `blocked` (stops at the first one due by `now`) */
  nextDueAt(now: number, blocked: readonly string[] = []): number | null {
    const skip = blocked.length === 0 ? undefined : new Set(blocked)
    let min: number | null = null
    for (const [gk, g] of this.#groups) {
      if (skip?.has(gk)) continue
      for (const lane of g.lanes.values()) {
        const at = lane.items[lane.head]!.nextAttemptAt
        if (min === null || at < min) {
          min = at
          if (at <= now) return min
        }
      }
    }
    return min
  }

  depth(): { target: string; n: number; oldest: number }[] {
    const out: { target: string; n: number; oldest: number }[] = []
    for (const [target, m] of this.#byTarget) {
      if (m.size === 0) continue
      out.push({ target, n: m.size, oldest: oldestOf(m) })
    }
    return out
  }

  bounds(): { n: number; bytes: number; oldest: number | null } {
    let oldest: number | null = null
    for (const m of this.#byTarget.values()) {
      if (m.size === 0) continue
      const o = oldestOf(m)
      if (oldest === null || o < oldest) oldest = o
    }
    return { n: this.#items.size, bytes: this.#bytes, oldest }
  }
}

/** items go in roughly in creation order: the first few entries hold the oldest */
function oldestOf(m: Map<number, SpoolItem>): number {
  let min = Infinity
  let k = 0
  for (const item of m.values()) {
    if (item.createdAt < min) min = item.createdAt
    if (++k >= 16) break
  }
  return min
}
