import { join } from 'node:path'
import { JournalCorruptError, JournalError, notDurable } from './errors.js'
import {
  FLAG_PAYLOAD,
  RECORD_HEADER_BYTES,
  RecordType,
  SEGMENT_HEADER_BYTES,
  decodeMarkBody,
  decodeSegmentHeader,
  encodeMarkBody,
  encodeRecordHeader,
  encodeSegmentHeader,
  type RecordTypeCode,
} from './frame.js'
import { nodeJournalFs, readFully, type JournalFs } from './fs-ops.js'
import { SegmentReader } from './segment-reader.js'

export interface JournalOptions {
  /** directory of the segment files (created if missing) */
  dir: string
  /** size every segment is preallocated to, and rolled at (default 64 MiB) */
  segmentBytes?: number
  /** most bytes one group (one durable writev) carries (default 4 MiB) */
  maxGroupBytes?: number
  /** file operations; tests inject failures here */
  fs?: JournalFs
  /** bytes a recovery reads of a segment at a time (default 4 MiB; tests make records span windows) */
  recoveryWindowBytes?: number
}

export interface AppendOptions {
  /** true: the record must be marked delivered or moved before its segment may be retired */
  open: boolean
  /** true: the body holds message bytes, so the segment is overwritten before it is unlinked */
  payload: boolean
}

export type RecordKind = 'open' | 'closed' | 'delivered' | 'moved'

export interface JournalRecord {
  seq: number
  kind: RecordKind
  holdsPayload: boolean
  /** open/closed: the bytes appended; delivered/moved: the 8-byte mark body */
  body: Buffer
  /** delivered/moved: the sequence number settled; otherwise -1 */
  target: number
}

export interface RecoveryReport {
  segments: number
  records: number
  /** open records not yet marked delivered or moved */
  open: number
  /** the torn tail cut from the last segment: where it began and how many bytes were not zero */
  truncated: { file: string; offset: number; bytes: number } | null
  /** files removed: segments whose header was never written, retirements a crash interrupted */
  removed: string[]
}

export interface JournalStats {
  segments: number
  /** bytes on disk (segments are preallocated) */
  bytes: number
  /** the newest sequence number that is durable */
  durableSeq: number
  /** the projection's position (projectedThrough); durableSeq - projectedSeq is its lag */
  projectedSeq: number
  openRecords: number
  queued: number
}

interface Segment {
  id: number
  name: string
  firstSeq: number
  /** firstSeq - 1 while it holds no durable record */
  lastSeq: number
  /** byte offset after the last durable record; 0 while its header is not written */
  end: number
  holdsPayload: boolean
  /** open records in it not yet marked */
  open: number
  /** sparse [seq, offset] pairs, flat: where reads can start */
  index: number[]
}

interface Entry {
  type: RecordTypeCode
  flags: number
  body: Uint8Array
  size: number
  /** marks: the sequence number settled */
  target: number
  resolve: ((seq: number) => void) | undefined
  reject: ((err: unknown) => void) | undefined
}

interface Spare {
  id: number
  name: string
  fd: number
}

const MiB = 1024 * 1024
const ZEROS = Buffer.alloc(MiB)
/**
 * A segment's zero-fill (preallocation, overwrite before unlink, recovery's fill) goes out one MiB
 * at a time, each chunk synced: a group's durable write never queues behind more than one chunk of
 * zeros on the disk. While the gateway writes groups, each chunk also waits for the group in
 * flight to finish (`#giveWay`), so a 64 MiB segment's zeros go out between groups instead of as
 * one burst (the spare's preparation held answers for up to 114 ms at 2,800 msg/s with a sync
 * every 8 MiB, and 40-57 ms with one sync at the end: docs/performance.md, "Where the slow answers waited").
 */
const ZERO_CHUNK = MiB
const SEGMENT_NAME = /^(\d{10})\.seg$/
const RETIRING = '.retiring'
const INDEX_EVERY = 256
const KIND: Record<RecordTypeCode, RecordKind> = { 1: 'open', 2: 'closed', 3: 'delivered', 4: 'moved' }
const noop = (): void => {}

/**
 * An append-only journal of length + CRC32 + sequence-numbered records in preallocated segment
 * files (docs/journal.md). Concurrent appends are group-committed: one durable `writev` per group
 * (the segment is opened O_DSYNC: the write returns after its data is synced), on the libuv
 * threadpool, one group in flight at a time; each append's promise settles after the write that
 * covers it. A failed write or sync fails its whole group, is never retried, and seals the
 * segment: the next group starts a new one.
 */
export class Journal {
  readonly #fs: JournalFs
  readonly #dir: string
  readonly #segmentBytes: number
  readonly #maxGroupBytes: number
  readonly #recoveryWindowBytes: number
  #segments: Segment[] = []
  /** the segment groups are written to; undefined until the next roll */
  #cur: Segment | undefined
  #fd = -1
  #spare: Promise<Spare> | undefined
  #nextId = 1
  #nextSeq = 1
  #durableSeq = 0
  #projected = 0
  readonly #openSeqs = new Set<number>()
  #queue: Entry[] = []
  #running: Promise<void> = Promise.resolve()
  #busy = false
  /** zero-fill chunks waiting for the group in flight to finish (`#giveWay`) */
  #zerosWaiting: (() => void)[] = []
  /** a group's durable writev is in flight */
  #groupInFlight = false
  #retiring: Promise<string[]> = Promise.resolve([])
  #state: 'new' | 'open' | 'closing' | 'closed' = 'new'

  constructor(options: JournalOptions) {
    this.#fs = options.fs ?? nodeJournalFs
    this.#dir = options.dir
    this.#segmentBytes = options.segmentBytes ?? 64 * MiB
    this.#maxGroupBytes = options.maxGroupBytes ?? 4 * MiB
    this.#recoveryWindowBytes = options.recoveryWindowBytes ?? 4 * MiB
    if (this.#segmentBytes < 4096) throw new RangeError('journal: segmentBytes must be at least 4096')
  }

  /** the newest durable sequence number (0: none) */
  get durableSeq(): number {
    return this.#durableSeq
  }

  /** the oldest sequence number still readable */
  get firstSeq(): number {
    return this.#segments[0]?.firstSeq ?? this.#nextSeq
  }

  /** the most bytes one record's body may have */
  get maxBodyBytes(): number {
    return this.#segmentBytes - SEGMENT_HEADER_BYTES - RECORD_HEADER_BYTES
  }

  /**
   * Recovery: finishes interrupted retirements, removes segments whose header was never written,
   * checks every record, truncates a torn tail of the last segment (zero-fills it and syncs), and
   * refuses (JournalCorruptError: file and offset) on a bad record anywhere else.
   */
  async open(): Promise<RecoveryReport> {
    if (this.#state !== 'new') throw new Error('journal: open() once')
    const fs = this.#fs
    const report: RecoveryReport = { segments: 0, records: 0, open: 0, truncated: null, removed: [] }
    await fs.mkdir(this.#dir)
    const names = (await fs.readdir(this.#dir)).sort()
    for (const name of names.filter((n) => n.endsWith(RETIRING))) {
      await this.#destroy(name, true)
      report.removed.push(name)
    }
    // pass 1: headers only, so one segment at a time is in memory in pass 2
    const loaded: { name: string; id: number; firstSeq: number }[] = []
    const segNames = names.filter((n) => SEGMENT_NAME.test(n))
    for (const [i, name] of segNames.entries()) {
      const id = Number(SEGMENT_NAME.exec(name)![1])
      this.#nextId = Math.max(this.#nextId, id + 1)
      const h = decodeSegmentHeader(await this.#readHead(name, SEGMENT_HEADER_BYTES))
      if (h.ok && h.id !== id) throw new JournalCorruptError(name, 0, `segment header names segment ${h.id}`)
      if (!h.ok) {
        // The header goes out with a segment's first group: a file without one holds no
        // acknowledged record (a spare, or a roll whose first group failed). A damaged header
        // in front of later segments is corruption; on the last one it is a torn first write.
        if (!h.zero && i < segNames.length - 1) throw new JournalCorruptError(name, 0, 'segment header unreadable')
        await this.#destroy(name, !(await this.#withReader(name, (r) => r.zeroFrom(0)))) // a clean spare needs no overwrite
        report.removed.push(name)
        continue
      }
      loaded.push({ name, id, firstSeq: h.firstSeq })
    }
    for (const [i, { name, id, firstSeq }] of loaded.entries()) {
      const next = loaded[i + 1]
      if (next !== undefined && next.firstSeq < firstSeq) {
        throw new JournalCorruptError(next.name, 0, `first sequence number ${next.firstSeq} is below ${firstSeq} of ${name}`)
      }
      if (i === 0) this.#nextSeq = firstSeq
      const seg: Segment = { id, name, firstSeq, lastSeq: firstSeq - 1, end: SEGMENT_HEADER_BYTES, holdsPayload: false, open: 0, index: [] }
      this.#segments.push(seg)
      const tail = await this.#withReader(name, async (reader) => {
        // A sealed segment must hold every record up to the next one's first; past that is the
        // unacknowledged tail of a failed group. Only the last segment may end in a torn record.
        const limit = next?.firstSeq ?? Infinity
        let off = SEGMENT_HEADER_BYTES
        while (this.#nextSeq < limit) {
          const r = await reader.record(off, reader.size)
          const wrongSeq = r.ok && r.record.seq !== this.#nextSeq
          if (!r.ok || wrongSeq) {
            if (next === undefined) break
            const what = r.ok ? `record ${r.record.seq} where ${this.#nextSeq} was expected` : r.why === 'end' ? `the data ends before record ${this.#nextSeq}` : `${r.detail} (expected record ${this.#nextSeq})`
            throw new JournalCorruptError(name, off, `${what}; ${next.name} starts at record ${next.firstSeq}`)
          }
          const rec = r.record
          if ((rec.seq - firstSeq) % INDEX_EVERY === 0) seg.index.push(rec.seq, off)
          this.#apply(seg, rec.seq, rec.type, rec.flags, rec.type >= RecordType.delivered ? decodeMarkBody(rec.body) : -1)
          off += rec.size
          this.#nextSeq++
          report.records++
        }
        seg.end = off
        seg.lastSeq = this.#nextSeq - 1
        if (next === undefined) return reader.lastNonZero(off)
        if (!(await reader.zeroFrom(off))) seg.holdsPayload = true // a failed group's bytes may be there
        return off
      })
      if (tail > seg.end) {
        await this.#zeroFill(name, seg.end, tail)
        report.truncated = { file: name, offset: seg.end, bytes: tail - seg.end }
      }
    }
    this.#durableSeq = this.#nextSeq - 1
    const last = this.#segments.at(-1)
    if (last !== undefined) {
      this.#fd = await fs.openDurable(join(this.#dir, last.name), false)
      this.#cur = last
    }
    report.segments = this.#segments.length
    report.open = this.#openSeqs.size
    // The segment the next roll takes is preallocated now, before the journal is open: zero-filling
    // it (segmentBytes of writes and an fdatasync) while the first groups wait for it held the
    // first answers after a start for up to a second (docs/performance.md, "The first seconds after
    // a start"). Needed when no segment can take a group yet (a new store), or when the current one
    // is past half (its first group would start the spare). A failure here (a full disk) is not
    // the open's: the roll that needs the segment tries again and fails its appends, as at any roll.
    if (last === undefined || last.end > this.#segmentBytes / 2) {
      const spare = this.#prepare()
      this.#spare = spare
      if (await spare.then(() => false, () => true)) this.#spare = undefined
    }
    this.#state = 'open'
    return report
  }

  /**
   * Appends one record. Resolves with its sequence number once the durable write that covers it has
   * returned; rejects (code DCCGW_ERR_STORE_UNAVAILABLE) when its group could not be made durable.
   */
  append(body: Uint8Array, options: AppendOptions): Promise<number> {
    if (this.#state !== 'open') return Promise.reject(new JournalError('DCCGW_ERR_JOURNAL_CLOSED', 'journal: not open'))
    if (body.length > this.maxBodyBytes) {
      return Promise.reject(new JournalError('DCCGW_ERR_JOURNAL_RECORD_TOO_LARGE', `journal: record of ${body.length} bytes; a segment holds ${this.maxBodyBytes}`))
    }
    return new Promise<number>((resolve, reject) => {
      const type = options.open ? RecordType.open : RecordType.closed
      this.#queue.push({ type, flags: options.payload ? FLAG_PAYLOAD : 0, body, size: RECORD_HEADER_BYTES + body.length, target: -1, resolve, reject })
      this.#kick()
    })
  }

  /**
   * Marks an open record delivered (or its duty moved elsewhere). Not awaited: the mark goes
   * with the next group; if that group fails it is queued again. A crash before it is durable
   * only means the record is still open after recovery (a redelivery with the same key).
   */
  mark(seq: number, how: 'delivered' | 'moved'): void {
    if (this.#state !== 'open') return // closing: the record stays open and is delivered again after restart
    const body = encodeMarkBody(seq)
    this.#queue.push({ type: how === 'delivered' ? RecordType.delivered : RecordType.moved, flags: 0, body, size: RECORD_HEADER_BYTES + body.length, target: seq, resolve: undefined, reject: undefined })
    this.#kick()
  }

  /** true while `seq` is an open record not yet marked durably */
  isOpen(seq: number): boolean {
    return this.#openSeqs.has(seq)
  }

  /** Resolves once everything queued so far has been written (or its group has failed). */
  async flush(): Promise<void> {
    while (this.#busy) await this.#running
  }

  /**
   * The projection (SQLite) has durably applied every record up to `seq`: segments wholly at or
   * below it may go once their open records are marked. Call only after the projection's commit.
   */
  projectedThrough(seq: number): void {
    if (seq > this.#durableSeq) throw new RangeError(`journal: projection at ${seq} is past the durable end ${this.#durableSeq}`)
    if (seq > this.#projected) this.#projected = seq
  }

  /**
   * Deletes the oldest segments while every record in them is marked and the projection has
   * passed them. A payload segment is renamed `*.retiring` (the step a crash can interrupt, and
   * recovery finishes), overwritten with zeros and synced, then unlinked. Returns the files removed.
   */
  retire(): Promise<string[]> {
    this.#retiring = this.#retiring.catch(noop).then(() => this.#retireNow())
    return this.#retiring
  }

  /**
   * Durable records from `fromSeq` up to the durable end when called, in order: recovery
   * (rebuilding queues and dedupe) and the projection read through this.
   */
  async *records(fromSeq: number): AsyncGenerator<JournalRecord> {
    if (this.#state === 'new' || this.#state === 'closed') throw new JournalError('DCCGW_ERR_JOURNAL_CLOSED', 'journal: not open')
    if (fromSeq < this.firstSeq) throw new JournalError('DCCGW_ERR_JOURNAL_RANGE', `journal: record ${fromSeq} is retired; the oldest is ${this.firstSeq}`)
    const until = this.#durableSeq
    for (const seg of [...this.#segments]) {
      if (seg.lastSeq < fromSeq || seg.end === 0) continue
      if (seg.firstSeq > until) break
      let seq = seg.firstSeq
      let off = SEGMENT_HEADER_BYTES
      for (let k = 0; k < seg.index.length && seg.index[k]! <= fromSeq; k += 2) [seq, off] = [seg.index[k]!, seg.index[k + 1]!]
      const stop = Math.min(seg.lastSeq, until)
      const fd = await this.#fs.open(join(this.#dir, seg.name), 'r')
      try {
        const reader = new SegmentReader(this.#fs, fd, seg.end, MiB, true)
        while (seq <= stop) {
          const r = await reader.record(off, this.#segmentBytes)
          if (!r.ok || r.record.seq !== seq) throw new JournalCorruptError(seg.name, off, r.ok ? `record ${r.record.seq} where ${seq} was expected` : r.detail)
          const rec = r.record
          if (seq >= fromSeq) {
            const mark = rec.type >= RecordType.delivered
            yield { seq, kind: KIND[rec.type], holdsPayload: (rec.flags & FLAG_PAYLOAD) !== 0, body: rec.body, target: mark ? decodeMarkBody(rec.body) : -1 }
          }
          off += rec.size
          seq++
        }
      } finally {
        await this.#fs.close(fd).catch(noop)
      }
    }
  }

  stats(): JournalStats {
    return {
      segments: this.#segments.length,
      bytes: this.#segments.length * this.#segmentBytes,
      durableSeq: this.#durableSeq,
      projectedSeq: this.#projected,
      openRecords: this.#openSeqs.size,
      queued: this.#queue.length,
    }
  }

  /** Waits for queued appends, then closes. Later appends reject. */
  async close(): Promise<void> {
    if (this.#state !== 'open') {
      this.#state = 'closed'
      return
    }
    this.#state = 'closing'
    await this.flush()
    if (this.#queue.length > 0) {
      // only marks left after a failed group: one more try
      this.#kick()
      await this.flush()
    }
    this.#state = 'closed'
    await this.#retiring.catch(noop)
    if (this.#fd >= 0) await this.#fs.close(this.#fd).catch(noop)
    this.#fd = -1
    const spare = await this.#spare?.catch(() => undefined)
    if (spare !== undefined) await this.#fs.close(spare.fd).catch(noop)
  }

  #kick(): void {
    if (this.#busy) return
    this.#busy = true
    this.#running = Promise.resolve().then(() => this.#run())
  }

  /** The group-commit loop: one group written and synced at a time; appends queue meanwhile. */
  async #run(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const first = this.#queue[0]!
        const cur = this.#cur
        if (cur === undefined || Math.max(cur.end, SEGMENT_HEADER_BYTES) + first.size > this.#segmentBytes) {
          try {
            await this.#roll()
          } catch (err) {
            if (this.#failAppends(this.#queue, notDurable('cannot start a new segment', err))) continue
            return
          }
        }
        const seg = this.#cur!
        const fresh = seg.end === 0
        const pos = fresh ? 0 : seg.end
        let bytes = fresh ? SEGMENT_HEADER_BYTES : 0
        let n = 0
        const room = this.#segmentBytes - pos
        while (n < this.#queue.length) {
          const size = this.#queue[n]!.size
          if (bytes + size > room || (n > 0 && bytes + size > this.#maxGroupBytes)) break
          bytes += size
          n++
        }
        const group = this.#queue.splice(0, n)
        const firstSeq = this.#nextSeq
        const buffers: Uint8Array[] = fresh ? [encodeSegmentHeader(seg.id, seg.firstSeq)] : []
        for (const e of group) {
          buffers.push(encodeRecordHeader(this.#nextSeq++, e.type, e.flags, e.body), e.body)
          if (e.flags & FLAG_PAYLOAD) seg.holdsPayload = true // before the write: a failed one may leave bytes
        }
        this.#groupInFlight = true
        try {
          const written = await this.#fs.writevDurable(this.#fd, buffers, pos)
          if (written !== bytes) throw new Error(`short write: ${written} of ${bytes} bytes`)
        } catch (err) {
          this.#groupIoDone()
          // Never retried: after a failed fsync the kernel may have marked the pages clean. The
          // group's sequence numbers are reused in a new segment; this one ends at its last durable record.
          this.#nextSeq = firstSeq
          await this.#seal(seg)
          this.#failAppends(group, notDurable('durable write failed (the write or its sync); the group was not acknowledged', err))
          await this.#startAfterFailure()
          if (this.#appendsQueued()) continue
          return
        }
        this.#groupIoDone()
        if (fresh) seg.end = SEGMENT_HEADER_BYTES
        let off = seg.end
        for (const [k, e] of group.entries()) {
          const seq = firstSeq + k
          if ((seq - seg.firstSeq) % INDEX_EVERY === 0) seg.index.push(seq, off)
          off += e.size
          this.#apply(seg, seq, e.type, e.flags, e.target)
        }
        seg.end = pos + bytes
        seg.lastSeq = this.#nextSeq - 1
        this.#durableSeq = seg.lastSeq
        for (const [k, e] of group.entries()) e.resolve?.(firstSeq + k)
        if (this.#spare === undefined && seg.end > this.#segmentBytes / 2) {
          this.#spare = this.#prepare()
          this.#spare.catch(noop) // surfaces at the roll that awaits it
        }
      }
    } finally {
      // synchronously after the last queue check (no await in between): an append queued from
      // here on, even by a continuation of one just resolved, kicks a new run
      this.#busy = false
    }
  }

  /**
   * Rejects the appends in `entries` and puts their marks back at the head of the queue (a mark
   * is no one's acknowledgement, so it is written again). Returns whether appends remain queued:
   * only then does the loop go on; marks alone wait for the next append.
   */
  #failAppends(entries: Entry[], err: JournalError): boolean {
    const marks = entries.filter((e) => e.resolve === undefined)
    for (const e of entries) e.reject?.(err)
    if (entries === this.#queue) this.#queue = marks
    else this.#queue.unshift(...marks)
    return this.#appendsQueued()
  }

  #appendsQueued(): boolean {
    return this.#queue.some((e) => e.resolve !== undefined)
  }

  #apply(seg: Segment, seq: number, type: number, flags: number, target: number): void {
    if (flags & FLAG_PAYLOAD) seg.holdsPayload = true
    if (type === RecordType.open) {
      this.#openSeqs.add(seq)
      seg.open++
    } else if (type >= RecordType.delivered && this.#openSeqs.delete(target)) {
      const owner = this.#segmentOf(target)
      if (owner !== undefined) owner.open--
    }
  }

  #segmentOf(seq: number): Segment | undefined {
    let lo = 0
    let hi = this.#segments.length - 1
    let found: Segment | undefined
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const s = this.#segments[mid]!
      if (s.firstSeq <= seq) {
        found = s
        lo = mid + 1
      } else hi = mid - 1
    }
    return found
  }

  /** Ends writing to `seg`. One that never got a durable record is removed (best effort). */
  async #seal(seg: Segment): Promise<void> {
    this.#cur = undefined
    await this.#fs.close(this.#fd).catch(noop)
    this.#fd = -1
    if (seg.lastSeq < seg.firstSeq && seg.end === 0) {
      this.#segments.splice(this.#segments.indexOf(seg), 1)
      await this.#destroy(seg.name, true).catch(noop)
    }
  }

  /**
   * After a failed group: starts the next segment at once and syncs its header alone, so the
   * seal is on disk. Recovery then reads the sealed segment only up to this header's first
   * sequence number, even if the page cache still shows the failed group's records as whole. If
   * this fails too, the next append tries the roll again (docs/journal.md, "Known limits").
   */
  async #startAfterFailure(): Promise<void> {
    try {
      await this.#roll()
      const seg = this.#cur!
      const header = encodeSegmentHeader(seg.id, seg.firstSeq)
      if ((await this.#fs.writevDurable(this.#fd, [header], 0)) !== header.length) throw new Error('short write')
      seg.end = SEGMENT_HEADER_BYTES
    } catch {
      if (this.#cur !== undefined) await this.#seal(this.#cur)
    }
  }

  /** Makes the spare segment current. Its header goes out with its first group (or alone after a failure). */
  async #roll(): Promise<void> {
    if (this.#cur !== undefined) {
      this.#cur = undefined
      await this.#fs.close(this.#fd).catch(noop)
      this.#fd = -1
    }
    const pending = this.#spare ?? this.#prepare()
    this.#spare = undefined
    const spare = await pending
    this.#fd = spare.fd
    this.#cur = { id: spare.id, name: spare.name, firstSeq: this.#nextSeq, lastSeq: this.#nextSeq - 1, end: 0, holdsPayload: false, open: 0, index: [] }
    this.#segments.push(this.#cur)
  }

  /** Creates the next segment file: zero-filled to full size, synced, and its directory entry synced. */
  async #prepare(): Promise<Spare> {
    const id = this.#nextId++
    const name = `${String(id).padStart(10, '0')}.seg`
    const path = join(this.#dir, name)
    const fd = await this.#fs.openDurable(path, true)
    try {
      await this.#writeZeros(fd, 0, this.#segmentBytes, name)
      await this.#syncDir()
      return { id, name, fd }
    } catch (err) {
      await this.#fs.close(fd).catch(noop)
      await this.#fs.unlink(path).catch(noop)
      throw err
    }
  }

  async #retireNow(): Promise<string[]> {
    const removed: string[] = []
    for (;;) {
      const seg = this.#segments[0]
      // the newest segment with a durable header stays: it carries the sequence numbers on
      let newest = this.#segments.length - 1
      while (newest > 0 && this.#segments[newest]!.end === 0) newest--
      if (seg === undefined || seg === this.#cur || newest <= 0) break
      if (seg.open > 0 || seg.lastSeq > this.#projected) break
      // rename first: a crash from here on leaves a *.retiring file that recovery finishes
      await this.#fs.rename(join(this.#dir, seg.name), join(this.#dir, seg.name + RETIRING))
      this.#segments.shift()
      await this.#syncDir()
      await this.#destroy(seg.name + RETIRING, seg.holdsPayload)
      removed.push(seg.name)
    }
    return removed
  }

  /** Overwrites the file with zeros and syncs (when it held payloads), then unlinks it and syncs the directory. */
  async #destroy(name: string, overwrite: boolean): Promise<void> {
    const path = join(this.#dir, name)
    if (overwrite) {
      const fd = await this.#fs.open(path, 'r+')
      try {
        await this.#writeZeros(fd, 0, await this.#fs.fstatSize(fd), name)
      } finally {
        await this.#fs.close(fd).catch(noop)
      }
    }
    await this.#fs.unlink(path)
    await this.#syncDir()
  }

  async #zeroFill(name: string, from: number, to: number): Promise<void> {
    const fd = await this.#fs.open(join(this.#dir, name), 'r+')
    try {
      await this.#writeZeros(fd, from, to, name)
    } finally {
      await this.#fs.close(fd).catch(noop)
    }
  }

  /** Zeros over [from, to) of the file, a ZERO_CHUNK at a time, each synced; between chunks, way is given to the groups. */
  async #writeZeros(fd: number, from: number, to: number, name: string): Promise<void> {
    for (let at = from; at < to; at += ZERO_CHUNK) {
      const len = Math.min(ZERO_CHUNK, to - at)
      if ((await this.#fs.write(fd, ZEROS, 0, len, at)) !== len) throw new Error(`short write of zeros in ${name}`)
      await this.#fs.fdatasync(fd)
      if (at + len < to) await this.#giveWay()
    }
  }

  /** While a group's durable writev is in flight, waits until it is done (nothing else waits on zeros then). */
  #giveWay(): Promise<void> | undefined {
    if (!this.#groupInFlight) return undefined
    return new Promise((resolve) => this.#zerosWaiting.push(resolve))
  }

  /** A group's durable writev has returned (either way): the chunks of zeros waiting for it go on. */
  #groupIoDone(): void {
    this.#groupInFlight = false
    if (this.#zerosWaiting.length === 0) return
    const waiting = this.#zerosWaiting
    this.#zerosWaiting = []
    for (const go of waiting) go()
  }

  /** the file's first `limit` bytes (all of it when shorter) */
  #readHead(name: string, limit: number): Promise<Buffer> {
    return this.#withFile(name, async (fd) => {
      const buf = Buffer.alloc(Math.min(limit, await this.#fs.fstatSize(fd)))
      await readFully(this.#fs, fd, buf, 0)
      return buf
    })
  }

  /** `use` with a SegmentReader over the file (recovery: one window of #recoveryWindowBytes at a time). */
  #withReader<T>(name: string, use: (r: SegmentReader) => Promise<T>): Promise<T> {
    return this.#withFile(name, async (fd) => use(new SegmentReader(this.#fs, fd, await this.#fs.fstatSize(fd), this.#recoveryWindowBytes)))
  }

  /** `use` with the file open for reading; closed after, whatever happens */
  async #withFile<T>(name: string, use: (fd: number) => Promise<T>): Promise<T> {
    const fd = await this.#fs.open(join(this.#dir, name), 'r')
    try {
      return await use(fd)
    } finally {
      await this.#fs.close(fd).catch(noop)
    }
  }

  async #syncDir(): Promise<void> {
    const fd = await this.#fs.open(this.#dir, 'r')
    try {
      await this.#fs.fsync(fd)
    } finally {
      await this.#fs.close(fd).catch(noop)
    }
  }
}

