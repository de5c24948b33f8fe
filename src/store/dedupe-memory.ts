import { hash52 } from './message-hash.js'
import type { CommitOutcome } from './types.js'

/** What the dedupe memory keeps of a recent accepted message (a repeat is answered from it). */
export interface Seen {
  decision: CommitOutcome['decision']
  reason: CommitOutcome['reason']
  quarantineId: string | null
  obligationId: string | null
  receivedAt: number
}

/** A recent message: its answer, or the append still syncing (a repeat waits for it). */
export type Recent = Seen | Promise<CommitOutcome>

/**
 * The journaled store's dedupe memory (docs/journal.md, "Dedupe"): which message IDs were accepted
 * within `dedupe.window`, counted back from the newest.
 *
 * - The newest `recentLimit` messages accepted since the start are kept whole in a Map (insertion
 *   order = arrival order): a repeat of one of them, or of one still syncing, is answered from
 *   memory. A start loads the window as hashes only (`load`).
 * - Older ones keep only a 52-bit hash of the ID (8 bytes in an open-addressing table, 16-32 bytes
 *   of memory per message with the table's slack, where a Map entry cost about 300), in
 *   generations of a tenth of the window that are dropped whole once wholly outside it. A hit
 *   there says "maybe": the caller confirms it with the audit row (SQLite), which also tells the
 *   decision as it stands now; a false hit (two IDs with one hash, about 1 in 10^8 lookups at 30M
 *   messages) is simply not found there. Beside each hash a generation keeps when the message
 *   came, to a 32,768th of its span (under 2 s at the 7-day default): the audit rows are found by
 *   receipt time and hash (migrations.ts, 11), so `times` says where to look.
 */
export class DedupeMemory {
  readonly #recent = new Map<string, Recent>()
  /**
   * The recent IDs in arrival order, read from `#head`: demotion and forgetting take from the
   * front here, not by iterating the Map, whose iterator walks over every slot deleted from the
   * front until the table is rebuilt (measured: 5% of the main thread after 100k messages).
   */
  #order: string[] = []
  #head = 0
  readonly #recentLimit: number
  readonly #windowMs: number
  readonly #spanMs: number
  /** oldest first */
  #generations: HashTable[] = []
  /** the newest receivedAt accepted: the window ends here */
  newestAt = -Infinity

  constructor(windowMs: number, recentLimit = 65_536) {
    this.#windowMs = windowMs
    this.#spanMs = Math.max(1, Math.ceil(windowMs / 10))
    this.#recentLimit = recentLimit
  }

  /** A recent entry, `'maybe'` when only an older hash matches, else undefined. */
  get(id: string): Recent | 'maybe' | undefined {
    const r = this.#recent.get(id)
    if (r !== undefined) return r
    if (this.#generations.length === 0) return undefined
    const h = hash52(id)
    for (let g = this.#generations.length - 1; g >= 0; g--) if (this.#generations[g]!.has(h)) return 'maybe'
    return undefined
  }

  /** When a message whose ID only the hashed part knows may have come: [from, to) receipt-time ranges, newest generation first. */
  times(id: string): [number, number][] {
    const h = hash52(id)
    const out: [number, number][] = []
    for (let g = this.#generations.length - 1; g >= 0; g--) this.#generations[g]!.times(h, out)
    return out
  }

  /** Remembers a message (or replaces its entry); keeps the recent part within its limit. */
  set(id: string, value: Recent): void {
    if (!this.#recent.has(id)) this.#order.push(id)
    this.#recent.set(id, value)
    if (!(value instanceof Promise) && value.receivedAt > this.newestAt) this.newestAt = value.receivedAt
    if (this.#recent.size > this.#recentLimit) this.#demote(2)
  }

  /** Forgets a recent entry (its append failed: the message was not kept). */
  delete(id: string): void {
    this.#recent.delete(id)
  }

  /** The recent entry, to update it in place (a delivery the adapter rejected is now quarantined). */
  recent(id: string): Seen | undefined {
    const r = this.#recent.get(id)
    return r === undefined || r instanceof Promise ? undefined : r
  }

  /** Messages remembered, recent and hashed (tests, metrics). */
  get size(): number {
    let n = this.#recent.size
    for (const g of this.#generations) n += g.count
    return n
  }

  /** Messages kept whole (the recent part). */
  get wholeCount(): number {
    return this.#recent.size
  }

  /** Bytes the hashed part holds (its tables). */
  get hashedBytes(): number {
    let n = 0
    for (const g of this.#generations) n += g.bytes
    return n
  }

  /**
   * Forgets what fell out of the window: a few recent entries from the front (a few per accepted
   * message, so the memory follows the window without a pause on the hot path; an entry still
   * syncing or inside the window stops it), and whole generations that end before the window.
   */
  forgetOld(): void {
    const cutoff = this.newestAt - this.#windowMs
    for (let k = 0; k < 8; k++) {
      const id = this.#front()
      if (id === undefined) break
      const s = this.#recent.get(id)!
      if (s instanceof Promise || s.receivedAt >= cutoff) break
      this.#recent.delete(id)
      this.#head++
    }
    while (this.#generations.length > 0 && this.#generations[0]!.lastAt < cutoff) this.#generations.shift()
  }

  /** Forgets every message received before `olderThan` (their audit rows were purged). */
  forgetBefore(olderThan: number): void {
    for (const [id, s] of this.#recent) if (!(s instanceof Promise) && s.receivedAt < olderThan) this.#recent.delete(id) // rare: an hourly purge
    this.#generations = this.#generations.filter((g) => g.lastAt >= olderThan)
  }

  /** Moves up to `n` of the oldest recent entries to the hashed part (never one still syncing). */
  #demote(n: number): void {
    while (n-- > 0 && this.#recent.size > this.#recentLimit) {
      const id = this.#front()
      if (id === undefined) return
      const s = this.#recent.get(id)!
      if (s instanceof Promise) return
      this.#recent.delete(id)
      this.#head++
      this.#hashed(id, s.receivedAt)
    }
  }

  /** The oldest recent ID (skipping IDs forgotten meanwhile); compacts the order list now and then. */
  #front(): string | undefined {
    while (this.#head < this.#order.length && !this.#recent.has(this.#order[this.#head]!)) this.#head++
    if (this.#head > 4096 && this.#head * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#head)
      this.#head = 0
    }
    return this.#order[this.#head]
  }

  /** Adds an ID to the hashed part. */
  #hashed(id: string, receivedAt: number): void {
    this.#addHash(hash52(id), receivedAt)
  }

  /** Adds a 52-bit hash to the generation of `receivedAt` (arrival order). */
  #addHash(h: number, receivedAt: number): void {
    let g = this.#generations[this.#generations.length - 1]
    if (g === undefined || receivedAt >= g.firstAt + this.#spanMs) {
      g = new HashTable(g === undefined ? 1 << 12 : g.capacityFor(), receivedAt, this.#spanMs)
      this.#generations.push(g)
    }
    g.add(h, receivedAt)
  }

  /**
   * A start, oldest first: [52-bit hash (message-hash.ts), receivedAt] straight to the hashed part
   * (the audit table keeps that hash, so no ID is read or hashed); the recent part fills again
   * with what is accepted from then on.
   */
  load(hashes: Iterable<[number, number]>): void {
    for (const [h, at] of hashes) {
      this.#addHash(h, at)
      if (at > this.newestAt) this.newestAt = at
    }
  }
}

/**
 * One generation: open addressing with linear probing over a Float64Array of 52-bit hashes (a
 * double holds integers below 2^53 exactly), 0 = empty, and beside each slot a Uint16Array of when
 * the message came, in 65,536ths of two spans around its first receipt (entries come in arrival
 * order, but a release receives a message again: its time moves). Doubles when half full.
 */
class HashTable {
  #slots: Float64Array
  #ats: Uint16Array
  #mask: number
  count = 0
  readonly firstAt: number
  lastAt: number
  /** `#ats` counts steps of `#unit` ms from `#base`: a span before the first receipt and one after it */
  readonly #base: number
  readonly #unit: number

  constructor(capacity: number, at: number, spanMs: number) {
    this.#slots = new Float64Array(capacity)
    this.#ats = new Uint16Array(capacity)
    this.#mask = capacity - 1
    this.firstAt = at
    this.lastAt = at
    this.#base = at - spanMs
    this.#unit = Math.max(1, Math.ceil((2 * spanMs) / 65_536))
  }

  get bytes(): number {
    return this.#slots.byteLength + this.#ats.byteLength
  }

  /** A good first size for the next generation: this one's, so it rarely grows. */
  capacityFor(): number {
    return Math.max(1 << 12, this.#slots.length)
  }

  has(h: number): boolean {
    const slots = this.#slots
    for (let i = h & this.#mask; ; i = (i + 1) & this.#mask) {
      const v = slots[i]!
      if (v === h) return true
      if (v === 0) return false
    }
  }

  /** Adds to `out` the receipt-time range of each entry with hash `h` (one ID can come twice: a release re-receives it). */
  times(h: number, out: [number, number][]): void {
    const slots = this.#slots
    for (let i = h & this.#mask; ; i = (i + 1) & this.#mask) {
      const v = slots[i]!
      if (v === 0) return
      if (v !== h) continue
      // (a receipt a whole span away from the generation's first, after the clock was set back, is
      // kept at the first or last step: not in the range given, so the caller's search by ID alone finds it)
      const from = this.#base + this.#ats[i]! * this.#unit
      out.push([from, from + this.#unit])
    }
  }

  add(h: number, at: number): void {
    if (at > this.lastAt) this.lastAt = at
    if (2 * (this.count + 1) > this.#slots.length) this.#grow()
    const step = Math.min(65_535, Math.max(0, Math.floor((at - this.#base) / this.#unit)))
    if (insert(this.#slots, this.#ats, this.#mask, h, step)) this.count++
  }

  #grow(): void {
    const old = this.#slots
    const oldAts = this.#ats
    this.#slots = new Float64Array(old.length * 2)
    this.#ats = new Uint16Array(old.length * 2)
    this.#mask = this.#slots.length - 1
    for (let i = 0; i < old.length; i++) if (old[i] !== 0) insert(this.#slots, this.#ats, this.#mask, old[i]!, oldAts[i]!)
  }
}

/** Adds hash `h` received at `step`; an entry with the same hash and step is there already: false. */
function insert(slots: Float64Array, ats: Uint16Array, mask: number, h: number, step: number): boolean {
  for (let i = h & mask; ; i = (i + 1) & mask) {
    const v = slots[i]!
    if (v === h && ats[i] === step) return false
    if (v === 0) {
      slots[i] = h
      ats[i] = step
      return true
    }
  }
}
