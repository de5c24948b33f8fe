import fs from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { separateSync } from '../../../test/support/journal-fs.js'
import { Journal, nodeJournalFs, type JournalFs } from './index.js'

// A simulated disk: writes reach the files at once (the page cache) but reach the disk image only
// when an fdatasync of that file returns. A failed fdatasync marks its pages clean without writing
// them (fsyncgate): no later sync carries them. A "crash" at a random file operation stops the
// process there; each file is then replaced by its disk image, plus a torn prefix of the newest
// unsynced write. Invariants after recovery: the journal opens, every acknowledged record is
// there with its bytes, and sequence numbers run without a gap.

let root: string
beforeEach(() => {
  root = fs.mkdtempSync(join(os.tmpdir(), 'dccgw-journal-crash-'))
})
afterEach(() => fs.rmSync(root, { recursive: true, force: true }))

/** xorshift32: reproducible scenarios from a seed */
function rng(seed: number): (n: number) => number {
  let x = seed || 1
  return (n) => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) % n
  }
}

interface Dirty {
  pos: number
  len: number
  /** global write order: the newest unsynced write is the one a power cut tears */
  order: number
}

function simulatedDisk(random: (n: number) => number, crashAtOp: number, syncFailPercent: number) {
  const paths = new Map<number, string>()
  /** what is on the platter, per file: only bytes a successful fdatasync carried */
  const images = new Map<string, Buffer>()
  /** written since the last sync (in the page cache only) */
  const dirty = new Map<string, Dirty[]>()
  let writes = 0
  let ops = 0
  let crash!: () => void
  const crashed = new Promise<void>((r) => (crash = r))
  let dead = false
  const never = new Promise<never>(() => {})
  /** each operation may be the one the process dies in */
  const step = (): boolean => {
    if (!dead && ++ops >= crashAtOp) {
      dead = true
      crash()
    }
    return dead
  }
  const wrote = (fd: number, pos: number, len: number): void => {
    const path = paths.get(fd)!
    dirty.set(path, [...(dirty.get(path) ?? []), { pos, len, order: writes++ }])
  }
  /** copies `len` bytes at `pos` from the file (the page cache) into its disk image */
  const persist = (path: string, pos: number, len: number): void => {
    let img = images.get(path) ?? Buffer.alloc(0)
    if (img.length < pos + len) img = Buffer.concat([img, Buffer.alloc(pos + len - img.length)])
    const fd = fs.openSync(path, 'r')
    fs.readSync(fd, img, pos, len, pos)
    fs.closeSync(fd)
    images.set(path, img)
  }
  // a group is a write, then an fdatasync (test/support/journal-fs.ts): the process may die between them
  const disk: JournalFs = separateSync({
    ...nodeJournalFs,
    open: async (path, flags) => {
      if (step()) return never
      const fd = fs.openSync(path, flags)
      paths.set(fd, path)
      if (flags.startsWith('w')) {
        images.set(path, Buffer.alloc(0)) // created or truncated: nothing of it is on disk yet
        dirty.set(path, [])
      }
      return fd
    },
    writev: async (fd, buffers, position) => {
      if (step()) return never
      const n = fs.writevSync(fd, buffers as NodeJS.ArrayBufferView[], position)
      wrote(fd, position, n)
      return n
    },
    write: async (fd, buffer, offset, length, position) => {
      if (step()) return never
      const n = fs.writeSync(fd, buffer, offset, length, position)
      wrote(fd, position, n)
      return n
    },
    fdatasync: async (fd) => {
      if (step()) return never
      const path = paths.get(fd)!
      const list = dirty.get(path) ?? []
      dirty.set(path, [])
      // a failed sync marks the pages clean without writing them: a later sync will not carry them
      if (random(100) < syncFailPercent) throw Object.assign(new Error('EIO: injected'), { code: 'EIO' })
      for (const d of list) persist(path, d.pos, d.len)
    },
    fsync: async () => {
      if (step()) return never
    },
    rename: async (from, to) => {
      if (step()) return never
      fs.renameSync(from, to)
      images.set(to, images.get(from) ?? Buffer.alloc(0))
      dirty.set(to, dirty.get(from) ?? [])
      images.delete(from)
      dirty.delete(from)
    },
    unlink: async (path) => {
      if (step()) return never
      fs.unlinkSync(path)
      images.delete(path)
      dirty.delete(path)
    },
  })
  /** the disk after the power cut: each file is its image, plus a torn prefix of the newest unsynced write */
  const powerCut = (): void => {
    const newest = [...dirty.entries()].flatMap(([path, list]) => list.map((d) => ({ path, ...d }))).sort((x, y) => y.order - x.order)[0]
    if (newest !== undefined) persist(newest.path, newest.pos, random(newest.len + 1))
    for (const [path, img] of images) if (fs.existsSync(path)) fs.writeFileSync(path, img)
  }
  return { disk, crashed, powerCut }
}

async function scenario(seed: number): Promise<void> {
  const random = rng(seed)
  const dir = join(root, `s${seed}`)
  const { disk, crashed, powerCut } = simulatedDisk(random, 20 + random(400), seed % 3 === 0 ? 0 : 8)
  const journal = new Journal({ dir, segmentBytes: 8192, fs: disk })
  const acked = new Map<number, Buffer>()
  let down = false
  void crashed.then(() => (down = true))
  const opened = await Promise.race([journal.open().then(() => true), crashed.then(() => false)])
  let n = 0
  while (opened && !down) {
    const batch = Array.from({ length: 1 + random(20) }, () => {
      const body = Buffer.from(`seed ${seed} record ${n++} `.padEnd(50 + random(1500), '.'))
      return journal.append(body, { open: random(2) === 0, payload: true }).then(
        (seq) => void acked.set(seq, body),
        () => {},
      )
    })
    for (const seq of [...acked.keys()].filter(() => random(4) === 0)) if (journal.isOpen(seq)) journal.mark(seq, 'delivered')
    await Promise.race([Promise.all(batch), crashed])
  }
  powerCut()

  const again = new Journal({ dir, segmentBytes: 8192 })
  await again.open()
  const seen = new Map<number, Buffer>()
  let expect_ = again.firstSeq
  for await (const r of again.records(again.firstSeq)) {
    expect(r.seq).toBe(expect_++)
    if (r.kind === 'open' || r.kind === 'closed') seen.set(r.seq, r.body)
  }
  for (const [seq, body] of acked) {
    expect(seen.get(seq)?.equals(body), `seed ${seed}: acknowledged record ${seq}`).toBe(true)
  }
  // and it goes on: one more append, then a clean reopen
  await again.append(Buffer.from('after'), { open: false, payload: false })
  await again.close()
  const third = new Journal({ dir, segmentBytes: 8192 })
  expect((await third.open()).truncated).toBeNull()
  await third.close()
}

describe('Journal under simulated power cuts', () => {
  it('keeps every acknowledged record through crashes at random points, with torn writes and failed fdatasyncs', async () => {
    for (let seed = 1; seed <= 40; seed++) await scenario(seed)
  })
})
