import { constants as osConstants, cpSync, linkSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Journal, JournalCorruptError, nodeJournalFs, type JournalFs, type JournalRecord } from './index.js'
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES } from './frame.js'
import { separateSync } from '../../../test/support/journal-fs.js'
import { waitFor } from '../../../test/support/wait-for.js'

const SEG = 8192
let root: string
let dir: string

beforeEach(() => {
  root = mkdtempSync(join(os.tmpdir(), 'dccgw-journal-'))
  dir = join(root, 'journal')
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

function body(i: number, size = 200): Buffer {
  return Buffer.from(`SECRET-PAYLOAD-${i}|`.padEnd(size, 'x'))
}

async function openJournal(options: { fs?: JournalFs; segmentBytes?: number } = {}): Promise<Journal> {
  const j = new Journal({ dir, segmentBytes: options.segmentBytes ?? SEG, fs: options.fs })
  await j.open()
  return j
}

async function all(j: Journal, from: number): Promise<JournalRecord[]> {
  const out: JournalRecord[] = []
  for await (const r of j.records(from)) out.push(r)
  return out
}

const segFiles = (): string[] => readdirSync(dir).filter((n) => n.endsWith('.seg')).sort()
/** where the record with index k (0-based) starts in a segment of records of `size` bytes */
const recordAt = (k: number, size = 200): number => SEGMENT_HEADER_BYTES + k * (RECORD_HEADER_BYTES + size)

/** a closed journal of `n` records of `size` bytes; returns the segment file names */
async function closedJournal(n: number, size = 200): Promise<string[]> {
  const j = await openJournal()
  for (let i = 0; i < n; i++) await j.append(body(i, size), { open: false, payload: true })
  await j.close()
  return segFiles()
}

/** bytes put straight into a file: a torn write or a damaged sector */
function scribble(path: string, bytes: Buffer, at: number): void {
  const fd = openSync(path, 'r+')
  writeSync(fd, bytes, 0, bytes.length, at)
  closeSync(fd)
}
const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: injected`), { code })

/**
 * node fs that remembers the path of each file it opened; `calls` replaces some of its calls. A
 * group is its writev, then its fdatasync (test/support/journal-fs.ts), so either can be faulted.
 */
function trackedFs(calls: (pathOf: (fd: number) => string) => Partial<JournalFs>): JournalFs {
  const paths = new Map<number, string>()
  return separateSync({
    ...nodeJournalFs,
    open: async (path, flags) => {
      const fd = await nodeJournalFs.open(path, flags)
      paths.set(fd, path)
      return fd
    },
    ...calls((fd) => paths.get(fd) ?? '?'),
  })
}

/** node fs with switchable faults; remembers which file each fdatasync was for */
function faultyFs() {
  const state = { failNextSync: false, noSpace: false, syncs: [] as string[], failedSync: [] as { path: string; at: number }[] }
  const fs = trackedFs((pathOf) => ({
    write: (fd, buffer, offset, length, position) => (state.noSpace ? Promise.reject(errno('ENOSPC')) : nodeJournalFs.write(fd, buffer, offset, length, position)),
    fdatasync: async (fd) => {
      const path = pathOf(fd)
      state.syncs.push(path)
      if (state.failNextSync) {
        state.failNextSync = false
        state.failedSync.push({ path, at: state.syncs.length - 1 })
        throw errno('EIO')
      }
      return nodeJournalFs.fdatasync(fd)
    },
  }))
  return { fs, state }
}

describe('Journal', () => {
  it('round-trips many records across segment rolls, before and after a reopen', async () => {
    const j = await openJournal()
    const n = 700
    const sizes = Array.from({ length: n }, (_, i) => 40 + ((i * 97) % 500))
    const seqs: number[] = []
    for (let i = 0; i < n; i += 64) {
      const batch = sizes.slice(i, i + 64).map((s, k) => j.append(body(i + k, s), { open: (i + k) % 3 === 0, payload: true }))
      seqs.push(...(await Promise.all(batch)))
    }
    expect(seqs).toEqual(Array.from({ length: n }, (_, i) => i + 1))
    expect(j.stats().segments).toBeGreaterThan(10)
    const check = (recs: JournalRecord[], from: number): void => {
      expect(recs.map((r) => r.seq)).toEqual(Array.from({ length: n - from + 1 }, (_, i) => i + from))
      for (const r of recs) {
        expect(r.body.equals(body(r.seq - 1, sizes[r.seq - 1]))).toBe(true)
        expect(r.kind).toBe((r.seq - 1) % 3 === 0 ? 'open' : 'closed')
      }
    }
    check(await all(j, 1), 1)
    check(await all(j, 333), 333)
    await j.close()

    const again = new Journal({ dir, segmentBytes: SEG })
    const report = await again.open()
    expect(report).toMatchObject({ records: n, open: Math.ceil(n / 3), truncated: null })
    check(await all(again, 1), 1)
    expect(await again.append(body(n), { open: false, payload: false })).toBe(n + 1)
    await again.close()
  })

  it('reads from any position of a large segment: chunk boundaries and the sparse index', async () => {
    const j = await openJournal({ segmentBytes: 4 * 1024 * 1024 })
    const n = 12_000
    for (let i = 0; i < n; i += 500) await Promise.all(Array.from({ length: 500 }, (_, k) => j.append(body(i + k, 300), { open: false, payload: true })))
    expect(j.stats().segments).toBe(1) // (4 MiB; records cross the 1 MiB read chunks)
    for (const from of [1, 257, 3_500, 11_999]) {
      const recs = await all(j, from)
      expect(recs.length).toBe(n - from + 1)
      expect(recs.every((r, k) => r.seq === from + k && r.body.equals(body(from + k - 1, 300)))).toBe(true)
    }
    await j.close()
  })

  it('settles an append only after the fdatasync that covers it has returned', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    let entered!: () => void
    const syncing = new Promise<void>((r) => (entered = r))
    let hold = false
    const fs = separateSync({ ...nodeJournalFs, fdatasync: async (fd) => { if (hold) { entered(); await gate } return nodeJournalFs.fdatasync(fd) } })
    const j = await openJournal({ fs })
    hold = true
    let settled = false
    const p = j.append(body(1), { open: true, payload: true }).then((s) => ((settled = true), s))
    await syncing // the record is written and its fdatasync is held
    await new Promise((r) => setImmediate(r))
    expect(settled).toBe(false)
    expect(j.durableSeq).toBe(0)
    release()
    expect(await p).toBe(1)
    expect(j.durableSeq).toBe(1)
    await j.close()
  })

  it('group-commits concurrent appends: one fdatasync for 64 appends in flight', async () => {
    const { fs, state } = faultyFs()
    const j = await openJournal({ fs, segmentBytes: 1024 * 1024 })
    await j.append(body(0), { open: false, payload: false }) // roll into the first segment
    const before = state.syncs.length
    await Promise.all(Array.from({ length: 64 }, (_, i) => j.append(body(i + 1), { open: false, payload: true })))
    expect(state.syncs.length - before).toBe(1)
    await j.close()
  })

  it('on the real file system a group is one durable write: segments are opened O_DSYNC and no fdatasync follows', async () => {
    // A write then an fdatasync are two trips to the threadpool, and the second starts only when
    // the event loop comes round again: on a busy loop each group waited one more turn for its answers.
    const calls = { durable: [] as number[], syncs: [] as number[] }
    const fs: JournalFs = {
      ...nodeJournalFs,
      writevDurable: (fd, buffers, position) => (calls.durable.push(fd), nodeJournalFs.writevDurable(fd, buffers, position)),
      fdatasync: (fd) => (calls.syncs.push(fd), nodeJournalFs.fdatasync(fd)),
    }
    const j = await openJournal({ fs, segmentBytes: 1024 * 1024 })
    await j.append(body(0), { open: false, payload: false }) // the first segment's header and record
    const fd = calls.durable.at(-1)!
    const flags = Number.parseInt(/^flags:\s+(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8)
    expect(flags & osConstants.O_DSYNC).toBe(osConstants.O_DSYNC)
    const before = { durable: calls.durable.length, syncs: calls.syncs.length }
    await Promise.all(Array.from({ length: 64 }, (_, i) => j.append(body(i + 1), { open: false, payload: true })))
    expect(calls.durable.length - before.durable).toBe(1)
    expect(calls.syncs.slice(before.syncs).filter((x) => x === fd)).toEqual([])
    await j.close()
    // and what it wrote is there after a reopen
    const again = await openJournal({ segmentBytes: 1024 * 1024 })
    expect((await all(again, 1)).length).toBe(65)
    await again.close()
  })

  it('truncates a record torn mid-way at the end of the last segment and goes on', async () => {
    const [file] = await closedJournal(5)
    const path = join(dir, file!)
    const lastAt = recordAt(4)
    truncateSync(path, lastAt + RECORD_HEADER_BYTES + 100) // the 5th record cut in the middle of its body

    const again = new Journal({ dir, segmentBytes: SEG })
    const report = await again.open()
    expect(report.truncated).toEqual({ file, offset: lastAt, bytes: RECORD_HEADER_BYTES + 100 })
    expect(report.records).toBe(4)
    expect((await all(again, 1)).map((r) => r.seq)).toEqual([1, 2, 3, 4])
    expect(readFileSync(path).subarray(lastAt).every((b) => b === 0)).toBe(true)
    expect(await again.append(body(9), { open: false, payload: true })).toBe(5)
    await again.close()
    const third = new Journal({ dir, segmentBytes: SEG })
    expect(await third.open()).toMatchObject({ records: 5, truncated: null })
    expect((await all(third, 5))[0]!.body.equals(body(9))).toBe(true)
    await third.close()
  })

  it('truncates garbage after the last good record of the last segment', async () => {
    const [file] = await closedJournal(3)
    const end = recordAt(3)
    scribble(join(dir, file!), Buffer.from('this is not a record, it is garbage from a torn write'), end)

    const again = new Journal({ dir, segmentBytes: SEG })
    const report = await again.open()
    expect(report.truncated).toEqual({ file, offset: end, bytes: 53 })
    expect((await all(again, 1)).map((r) => r.seq)).toEqual([1, 2, 3])
    expect(await again.append(body(3), { open: false, payload: true })).toBe(4)
    await again.close()
  })

  it('refuses to open on a bad CRC in the middle of a segment that is not the last, naming file and offset', async () => {
    const files = await closedJournal(40, 1000)
    expect(files.length).toBeGreaterThanOrEqual(3)
    const at = recordAt(2, 1000) // the third record of the first segment
    scribble(join(dir, files[0]!), Buffer.from('Z'), at + RECORD_HEADER_BYTES + 500)

    const again = new Journal({ dir, segmentBytes: SEG })
    const err = await again.open().then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(JournalCorruptError)
    expect(err).toMatchObject({ code: 'DCCGW_ERR_JOURNAL_CORRUPT', file: files[0], offset: at })
    expect((err as Error).message).toContain(`${files[0]} at byte offset ${at}`)
    expect((err as Error).message).toContain('CRC mismatch')
  })

  it('a recovery reads a segment through a small window exactly as through the whole file: records across windows, a torn tail, garbage, a bad CRC', async () => {
    // one outcome per window size: the report, or the refusal with its place
    const recover = async (windowBytes: number | undefined) => {
      const j = new Journal({ dir, segmentBytes: SEG, ...(windowBytes !== undefined && { recoveryWindowBytes: windowBytes }) })
      try {
        const report = await j.open()
        const seqs = (await all(j, j.firstSeq)).map((r) => r.seq)
        await j.close()
        return { report, seqs }
      } catch (err) {
        return { error: (err as JournalCorruptError).message }
      }
    }
    const scenarios: [string, () => Promise<void>][] = [
      ['sealed segments and a clean last one', async () => void (await closedJournal(30, 700))],
      ['a record torn mid-way', async () => {
        const [file] = await closedJournal(5)
        truncateSync(join(dir, file!), SEG) // keep the size: cut the 5th record by zeroing its second half
        scribble(join(dir, file!), Buffer.alloc(150), recordAt(4) + RECORD_HEADER_BYTES + 100)
      }],
      ['garbage after the last record', async () => {
        const [file] = await closedJournal(3)
        scribble(join(dir, file!), Buffer.from('garbage from a torn write '.repeat(9)), recordAt(3))
      }],
      ['a bad CRC in a sealed segment', async () => {
        const files = await closedJournal(40, 1000)
        scribble(join(dir, files[0]!), Buffer.from('Z'), recordAt(2, 1000) + RECORD_HEADER_BYTES + 500)
      }],
    ]
    for (const [what, make] of scenarios) {
      rmSync(dir, { recursive: true, force: true })
      await make()
      const copy = join(root, 'copy')
      rmSync(copy, { recursive: true, force: true })
      cpSync(dir, copy, { recursive: true })
      const whole = await recover(undefined)
      for (const w of [57, 300, 1100]) {
        rmSync(dir, { recursive: true, force: true })
        cpSync(copy, dir, { recursive: true })
        expect(await recover(w), `${what}, window ${w}`).toEqual(whole)
      }
      // through a window, no read is larger than the window or the record it must hold whole
      rmSync(dir, { recursive: true, force: true })
      cpSync(copy, dir, { recursive: true })
      let largest = 0
      const counting = trackedFs(() => ({ read: (fd, buffer, offset, length, position) => ((largest = Math.max(largest, length)), nodeJournalFs.read(fd, buffer, offset, length, position)) }))
      const windowed = new Journal({ dir, segmentBytes: SEG, fs: counting, recoveryWindowBytes: 1100 })
      await windowed.open().then(() => windowed.close(), () => undefined)
      expect(largest, what).toBeLessThanOrEqual(1100)
      if (what.startsWith('a bad CRC')) expect(whole.error).toContain('CRC mismatch')
      else expect(whole.report!.records).toBeGreaterThan(0)
      if (what !== 'sealed segments and a clean last one' && !what.startsWith('a bad CRC')) expect(whole.report!.truncated).not.toBeNull()
    }
  })

  it('an fdatasync failure rejects every append of its group, acknowledges none, never syncs that segment again, and loses no acknowledged record', async () => {
    const { fs, state } = faultyFs()
    const j = await openJournal({ fs })
    const acked: number[] = []
    for (let i = 0; i < 3; i++) acked.push(await j.append(body(i), { open: true, payload: true }))
    state.failNextSync = true
    const group = Array.from({ length: 20 }, (_, i) => j.append(body(100 + i), { open: true, payload: true }))
    const outcomes = await Promise.allSettled(group)
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true)
    for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'DCCGW_ERR_STORE_UNAVAILABLE', cause: { code: 'EIO' } })
    expect(j.durableSeq).toBe(3)
    // the journal goes on in a new segment; the failed one is never synced again
    for (let i = 3; i < 6; i++) acked.push(await j.append(body(i), { open: true, payload: true }))
    expect(acked).toEqual([1, 2, 3, 4, 5, 6])
    const [{ path: failed, at }] = state.failedSync as [{ path: string; at: number }]
    expect(state.syncs.slice(at + 1)).not.toContain(failed)
    expect(state.syncs.slice(at + 1).length).toBeGreaterThan(0)
    await j.close()

    // power cut: the failed group's pages were marked clean and reach the disk torn
    scribble(failed, Buffer.alloc(700, 0xa5), recordAt(3) + 300)
    const again = new Journal({ dir, segmentBytes: SEG })
    const report = await again.open()
    expect(report).toMatchObject({ records: 6, open: 6 })
    const recs = await all(again, 1)
    expect(recs.map((r) => r.seq)).toEqual(acked)
    expect(recs.map((r) => r.body.toString().split('|')[0])).toEqual([0, 1, 2, 3, 4, 5].map((i) => `SECRET-PAYLOAD-${i}`))
    await again.close()
  })

  it('after a failed fdatasync the seal is durable at once: a restart does not count the failed group, though the file still shows it', async () => {
    const { fs, state } = faultyFs()
    const j = await openJournal({ fs })
    for (let i = 0; i < 3; i++) await j.append(body(i), { open: true, payload: true })
    state.failNextSync = true
    const failed = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => j.append(body(100 + i), { open: true, payload: true })))
    expect(failed.every((o) => o.status === 'rejected')).toBe(true)
    await j.flush()
    const { path } = state.failedSync[0]!
    expect(readFileSync(path).includes('SECRET-PAYLOAD-104|')).toBe(true) // whole in the page cache
    await j.close() // the process stops before any further append

    const again = new Journal({ dir, segmentBytes: SEG })
    expect(await again.open()).toMatchObject({ records: 3, open: 3 })
    expect(await again.append(body(3), { open: true, payload: true })).toBe(4)
    expect((await all(again, 1)).map((r) => r.body.toString().split('|')[0])).toEqual([0, 1, 2, 3].map((i) => `SECRET-PAYLOAD-${i}`))
    await again.close()
  })

  it('zero-fills a large segment one synced MiB at a time, so no sync queues more than a MiB of zeros ahead of a group\'s', async () => {
    const { fs, state } = faultyFs()
    const j = await openJournal({ fs, segmentBytes: 20 * 1024 * 1024 }) // preallocated in open()
    const seg = join(dir, '0000000001.seg')
    expect(statSync(seg).size).toBe(20 * 1024 * 1024)
    expect(state.syncs.filter((p) => p === seg)).toHaveLength(20)
    await j.close()
  })

  it('the spare\'s zeros wait for the group in flight: one chunk at most while a group\'s fdatasync is pending', async () => {
    const spare = join(dir, '0000000002.seg')
    const log: string[] = []
    let held: (() => void) | undefined
    let hold = false
    const fs = trackedFs((pathOf) => ({
      // the spare's zeros settle at once (no disk): without the wait, every chunk would be written in a few turns
      write: (fd, buffer, offset, length, position) => {
        if (pathOf(fd) !== spare) return nodeJournalFs.write(fd, buffer, offset, length, position)
        log.push('zeros')
        return Promise.resolve(length)
      },
      fdatasync: (fd) => {
        if (pathOf(fd) === spare) return Promise.resolve()
        if (!hold) return nodeJournalFs.fdatasync(fd)
        log.push('group sync held')
        return new Promise((resolve) => (held = resolve))
      },
    }))
    const j = await openJournal({ fs, segmentBytes: 16 * 1024 * 1024 })
    const big = Buffer.alloc(3 * 1024 * 1024, 7)
    for (let i = 0; i < 3; i++) await j.append(big, { open: false, payload: true }) // 9 of 16 MiB: the spare is being prepared
    hold = true
    const appended = j.append(body(0), { open: false, payload: true })
    await waitFor('the group\'s fdatasync to be held', () => held !== undefined)
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)) // room for every chunk if nothing held them
    const whileHeld = log.filter((x) => x === 'zeros').length
    expect(whileHeld).toBeLessThanOrEqual(1)
    hold = false
    held!()
    expect(await appended).toBe(4)
    await j.close() // waits for the spare: the rest of its chunks went out once the group was done
    expect(log.filter((x) => x === 'zeros')).toHaveLength(16)
    expect(log.indexOf('group sync held')).toBeLessThan(log.lastIndexOf('zeros'))
  })

  it('a new journal preallocates its first segment in open(), so the first group waits only for its own write and sync', async () => {
    const { fs, state } = faultyFs()
    const j = await openJournal({ fs })
    expect(segFiles()).toEqual(['0000000001.seg'])
    expect(statSync(join(dir, '0000000001.seg')).size).toBe(SEG)
    state.syncs.length = 0
    expect(await j.append(body(0), { open: false, payload: true })).toBe(1)
    expect(state.syncs).toEqual([join(dir, '0000000001.seg')]) // the group's fdatasync, no preallocation's
    await j.close()
    const again = new Journal({ dir, segmentBytes: SEG, fs })
    state.syncs.length = 0
    expect(await again.open()).toMatchObject({ records: 1, removed: [] }) // a segment to write to: nothing prepared
    expect(state.syncs).toEqual([])
    await again.close()
  })

  it('open() prepares the spare when the current segment is past half, so the first groups after a restart do not', async () => {
    const { fs, state } = faultyFs()
    const j = await openJournal({ fs })
    for (let i = 0; i < 4; i++) await j.append(body(i, 1000), { open: false, payload: true }) // 7 a segment: past half
    await j.close()
    for (const f of segFiles().slice(1)) rmSync(join(dir, f)) // a spare made meanwhile (recovery would remove it)
    const again = new Journal({ dir, segmentBytes: SEG, fs })
    await again.open()
    expect(segFiles()).toEqual(['0000000001.seg', '0000000002.seg'])
    state.syncs.length = 0
    expect(await again.append(body(4, 1000), { open: false, payload: true })).toBe(5)
    expect(state.syncs).toEqual([join(dir, '0000000001.seg')])
    await again.close()
  })

  it('ENOSPC at a segment roll rejects the appends waiting for it, then recovers when space returns', async () => {
    const { fs, state } = faultyFs()
    state.noSpace = true
    const j = await openJournal({ fs }) // the first segment cannot be made: open() succeeds, the first group fails
    expect(segFiles()).toEqual([])
    await expect(j.append(body(0), { open: true, payload: true })).rejects.toMatchObject({ code: 'DCCGW_ERR_STORE_UNAVAILABLE', cause: { code: 'ENOSPC' } })
    state.noSpace = false
    const acked: number[] = []
    for (let i = 0; i < 3; i++) acked.push(await j.append(body(i, 1000), { open: true, payload: true }))
    state.noSpace = true // from here the spare segment, prepared once the current one is half full, cannot be made
    for (let i = 3; i < 7; i++) acked.push(await j.append(body(i, 1000), { open: true, payload: true })) // 7 fill a segment
    const waiting = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => j.append(body(50 + i, 1000), { open: true, payload: true })))
    expect(waiting.every((o) => o.status === 'rejected' && (o.reason as { cause?: { code?: string } }).cause?.code === 'ENOSPC')).toBe(true)
    expect(segFiles()).toHaveLength(1) // the half-made spare was removed
    state.noSpace = false
    for (let i = 7; i < 10; i++) acked.push(await j.append(body(i, 1000), { open: true, payload: true }))
    expect(acked).toEqual(Array.from({ length: 10 }, (_, i) => i + 1))
    await j.close()
    const again = new Journal({ dir, segmentBytes: SEG })
    expect(await again.open()).toMatchObject({ records: 10, open: 10, truncated: null })
    expect((await all(again, 1)).map((r) => r.body.toString().split('|')[0])).toEqual(acked.map((s) => `SECRET-PAYLOAD-${s - 1}`))
    await again.close()
  })

  it('retires a segment only once every record in it is marked and the projection has passed it', async () => {
    const j = await openJournal()
    const seqs: number[] = []
    for (let i = 0; i < 20; i++) seqs.push(await j.append(body(i, 1000), { open: i % 2 === 0, payload: true })) // 7 a segment
    expect(segFiles().length).toBeGreaterThanOrEqual(3) // and a spare
    j.projectedThrough(j.durableSeq)
    expect(await j.retire()).toEqual([]) // open records everywhere
    for (const s of seqs.filter((s) => s !== 3)) if (j.isOpen(s)) j.mark(s, s % 4 === 1 ? 'delivered' : 'moved')
    await j.flush()
    expect(await j.retire()).toEqual([]) // record 3 (segment 1) still open
    j.mark(3, 'delivered')
    await j.flush()
    expect(j.isOpen(3)).toBe(false)

    const files = segFiles()
    await j.close()
    const fresh = new Journal({ dir, segmentBytes: SEG })
    await fresh.open()
    expect(fresh.stats().openRecords).toBe(0) // the marks were durable
    fresh.projectedThrough(6)
    expect(await fresh.retire()).toEqual([]) // the projection is inside segment 1 (records 1..7)
    fresh.projectedThrough(7)
    expect(await fresh.retire()).toEqual([files[0]])
    fresh.projectedThrough(fresh.durableSeq)
    expect(await fresh.retire()).toEqual([files[1]]) // the last (current) segment stays
    expect(segFiles()).toEqual([files[2], '0000000005.seg']) // with its spare, prepared by open() (it is past half)
    expect(fresh.firstSeq).toBe(15)
    await expect(all(fresh, 1)).rejects.toMatchObject({ code: 'DCCGW_ERR_JOURNAL_RANGE' })
    const rest = await all(fresh, 15)
    expect(rest.filter((r) => r.kind === 'open' || r.kind === 'closed').map((r) => r.seq)).toEqual([15, 16, 17, 18, 19, 20])
    expect(rest.filter((r) => r.kind === 'delivered' || r.kind === 'moved').map((r) => r.target).sort((a, b) => a - b)).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19])
    await fresh.close()
    const third = new Journal({ dir, segmentBytes: SEG })
    expect(await third.open()).toMatchObject({ records: 16, open: 0 })
    expect(third.firstSeq).toBe(15)
    await third.close()
  })

  it('overwrites a retired payload segment before unlinking it: its bytes are not findable on disk', async () => {
    const j = await openJournal()
    for (let i = 0; i < 10; i++) await j.append(body(i, 1000), { open: true, payload: true })
    const [first] = segFiles()
    // a second name for the same inode: what is still on disk after the unlink
    const other = join(root, 'same-inode')
    linkSync(join(dir, first!), other)
    expect(readFileSync(other).includes('SECRET-PAYLOAD-3|')).toBe(true)
    for (let s = 1; s <= 10; s++) j.mark(s, 'delivered')
    await j.flush()
    j.projectedThrough(j.durableSeq)
    expect(await j.retire()).toEqual([first])
    const found = [other, ...readdirSync(dir).map((n) => join(dir, n))].filter((p) => {
      const bytes = readFileSync(p)
      return [0, 1, 2, 3, 4, 5, 6].some((i) => bytes.includes(`SECRET-PAYLOAD-${i}|`))
    })
    expect(found).toEqual([])
    expect(statSync(other).size).toBe(SEG) // overwritten in place, not truncated
    await j.close()
  })

  it('finishes a retirement a crash interrupted and removes a trailing segment whose header was never written', async () => {
    const [first, second] = await closedJournal(10, 1000)
    renameSync(join(dir, first!), join(dir, first! + '.retiring'))
    // a roll whose first write was torn by a crash: no header, but message bytes behind it
    const torn = Buffer.alloc(SEG)
    torn.write('SECRET-PAYLOAD-77|', 100)
    writeFileSync(join(dir, '0000000099.seg'), torn)
    linkSync(join(dir, '0000000099.seg'), join(root, 'torn-inode'))
    const again = new Journal({ dir, segmentBytes: SEG })
    const report = await again.open()
    expect(readFileSync(join(root, 'torn-inode')).includes('SECRET-PAYLOAD-77|')).toBe(false)
    expect(report.removed.sort()).toEqual([first + '.retiring', '0000000099.seg'])
    expect(readdirSync(dir)).toEqual([second])
    expect(again.firstSeq).toBe(8)
    expect(await again.append(body(10), { open: false, payload: false })).toBe(11)
    await again.close()
  })

  it('rejects a record that cannot fit in a segment, and appends after close', async () => {
    const j = await openJournal()
    await expect(j.append(Buffer.alloc(SEG), { open: false, payload: false })).rejects.toMatchObject({ code: 'DCCGW_ERR_JOURNAL_RECORD_TOO_LARGE' })
    expect(await j.append(Buffer.alloc(j.maxBodyBytes), { open: false, payload: false })).toBe(1)
    await j.close()
    await expect(j.append(body(1), { open: false, payload: false })).rejects.toMatchObject({ code: 'DCCGW_ERR_JOURNAL_CLOSED' })
  })
})
