// Partition files of the build from the files (docs/registry.md, "Build from the files"): each CSV
// is parsed once, and every valid row becomes a 16-byte record (four Uint32 words) appended to one
// of 2^bits partitions by the top bits of its permuted key (key-permutation.ts). A partition's
// records are buffered in one 32 KB block of a shared write buffer and written to ONE temp file per
// CSV when the block is full; the blocks' places are kept per partition, so reading a partition back
// is a few positioned reads, in file order. Records: load-registrations.ts, load-devices.ts.
import { closeSync, existsSync, mkdirSync, openSync, readSync, rmdirSync, rmSync, statSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { threadId } from 'node:worker_threads'
import { RegistryLoadError } from './errors.js'

export const RECORD_WORDS = 4
/** words of one partition's write block (32 KB) */
const BLOCK_WORDS = 1 << 13
/** CSV bytes per partition the partition count aims at (~250k rows of either file: a few MB of staging) */
const BYTES_PER_PARTITION = 8 << 20

/** Size of a file, 0 when it cannot be read (the CSV pass reports why). */
function sizeOf(file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}

/** Partition bits for a CSV of `bytes` bytes (0-10). */
export function partitionBitsFor(bytes: number): number {
  return Math.max(0, Math.min(10, Math.ceil(Math.log2(Math.max(1, bytes / BYTES_PER_PARTITION)))))
}

/** Where a partition's records are in the temp file: [byte offset, words] per block, in file order. */
export interface PartitionLayout {
  file: string
  bits: number
  blocks: number[][]
  /** records per partition */
  records: number[]
  bytes: number
}

/**
 * A build's temp files (removed by `drop` once read for the last time, by `remove` after the build,
 * also after a failure; a failed build leaves no snapshot folder it made behind).
 */
export class TempFiles {
  readonly #made: string[] = []
  /** folders made for the temp files (removed again after a failed build when empty) */
  readonly #madeDirs: string[] = []
  readonly #tag = `.registry-build-${process.pid}-${threadId}-${Date.now().toString(36)}`

  /**
   * `dirs`: where to put them, in order of preference (a folder that cannot be made or written is
   * skipped: a snapshot folder's problem does not stop a load); `partitionBits`: partitions of
   * every file (tests), default from each file's size.
   */
  constructor(readonly dirs: readonly string[], readonly partitionBits?: number) {}

  /** Partition bits for the records of CSV `file`. */
  bitsFor(file: string): number {
    return this.partitionBits ?? partitionBitsFor(sizeOf(file))
  }

  /** A new, empty temp file for `what` in the first usable folder. */
  name(what: string): string {
    let last: unknown
    for (const dir of this.dirs) {
      const f = join(dir, `${this.#tag}-${what}.tmp`)
      try {
        if (!existsSync(dir)) {
          mkdirSync(dir, { recursive: true })
          this.#madeDirs.push(dir)
        }
        closeSync(openSync(f, 'w'))
        this.#made.push(f)
        return f
      } catch (err) {
        last = err
      }
    }
    throw tempFailure(join(this.dirs[0] ?? '.', `${this.#tag}-${what}.tmp`), 'creating', last)
  }

  /** Removes one temp file as soon as it is read for the last time. */
  drop(file: string): void {
    rmSync(file, { force: true })
  }

  /**
   * Removes every temp file; after a failed build also the folders made for them when empty (after
   * a good one the snapshot goes there).
   */
  remove(failed: boolean): void {
    for (const f of this.#made) rmSync(f, { force: true })
    if (!failed) return
    for (const dir of this.#madeDirs) {
      try {
        rmdirSync(dir)
      } catch {
        // not empty (a snapshot was written there meanwhile) or gone: nothing to tidy
      }
    }
  }
}

function tempFailure(file: string, what: string, err: unknown): RegistryLoadError {
  return new RegistryLoadError('DCCGW_ERR_REGISTRY_READ', file, `${what} the build's temp file failed (${(err as Error).message}); the previous index is kept`)
}

/** Appends records to their partitions' blocks; a full block is written to the temp file. */
/** what a finished writer's or a closed reader's buffer becomes (its scratch is garbage from there) */
const RELEASED = new Uint32Array(0)

export class PartitionWriter {
  readonly n: number
  /** the partitions' write blocks; released by finish() and close() */
  buf: Uint32Array
  readonly #fill: Uint32Array
  readonly #blocks: number[][]
  readonly #records: number[]
  #fd: number
  #at = 0

  constructor(readonly file: string, readonly bits: number) {
    this.n = 2 ** bits
    this.buf = new Uint32Array(this.n * BLOCK_WORDS)
    this.#fill = new Uint32Array(this.n)
    this.#blocks = Array.from({ length: this.n }, () => [])
    this.#records = new Array<number>(this.n).fill(0)
    try {
      this.#fd = openSync(file, 'w')
    } catch (err) {
      throw tempFailure(file, 'creating', err)
    }
  }

  /** Word offset in `buf` for the next record of partition p (write its 4 words there). */
  slot(p: number): number {
    if (this.#fill[p] === BLOCK_WORDS) this.#flush(p)
    const at = p * BLOCK_WORDS + this.#fill[p]!
    this.#fill[p]! += RECORD_WORDS
    this.#records[p]!++
    return at
  }

  #flush(p: number): void {
    const words = this.#fill[p]!
    if (words === 0) return
    const bytes = words * 4
    const view = new Uint8Array(this.buf.buffer, p * BLOCK_WORDS * 4, bytes)
    try {
      for (let o = 0; o < bytes; ) o += writeSync(this.#fd, view, o, bytes - o, this.#at + o)
    } catch (err) {
      throw tempFailure(this.file, 'writing', err)
    }
    this.#blocks[p]!.push(this.#at, words)
    this.#at += bytes
    this.#fill[p] = 0
  }

  /** Writes the partial blocks and closes the file. */
  finish(): PartitionLayout {
    for (let p = 0; p < this.n; p++) this.#flush(p)
    this.close()
    return { file: this.file, bits: this.bits, blocks: this.#blocks, records: this.#records, bytes: this.#at }
  }

  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd)
    this.#fd = -1
    this.buf = RELEASED
  }
}

/** Reads partitions back into one reused buffer (sized for the largest); can write a partition back in place. */
export class PartitionReader {
  #fd: number
  /** one partition's records; released by close() */
  buf: Uint32Array

  constructor(readonly layout: PartitionLayout, writable = false) {
    try {
      this.#fd = openSync(layout.file, writable ? 'r+' : 'r')
    } catch (err) {
      throw tempFailure(layout.file, 'opening', err)
    }
    this.buf = new Uint32Array(Math.max(1, ...layout.records) * RECORD_WORDS)
  }

  /** Partition p's records in file order into `buf`; returns their count. */
  read(p: number): number {
    const b = this.layout.blocks[p]!
    const view = new Uint8Array(this.buf.buffer)
    let at = 0
    for (let i = 0; i < b.length; i += 2) {
      const bytes = b[i + 1]! * 4
      for (let o = 0; o < bytes; ) {
        const got = readSync(this.#fd, view, at + o, bytes - o, b[i]! + o)
        if (got === 0) throw tempFailure(this.layout.file, 'reading (shorter than written)', new Error('end of file'))
        o += got
      }
      at += bytes
    }
    return at / (4 * RECORD_WORDS)
  }

  /** Partition p's records replaced by `src`'s (as many, e.g. sorted): written over its blocks (pages in the cache: cheap). */
  write(p: number, src: Uint32Array): void {
    const b = this.layout.blocks[p]!
    const view = new Uint8Array(src.buffer, src.byteOffset)
    let at = 0
    try {
      for (let i = 0; i < b.length; i += 2) {
        const bytes = b[i + 1]! * 4
        for (let o = 0; o < bytes; ) o += writeSync(this.#fd, view, at + o, bytes - o, b[i]! + o)
        at += bytes
      }
    } catch (err) {
      throw tempFailure(this.layout.file, 'writing', err)
    }
  }

  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd)
    this.#fd = -1
    this.buf = RELEASED
  }
}

/** rows per sub-bucket the in-partition counting sort aims at (then an insertion sort each) */
const PER_SUB = 4
/** Sub-bucket bits (at most `max`) of a partition of `n` records. */
export const subBits = (n: number, max: number) => Math.max(0, Math.min(max, Math.ceil(Math.log2(Math.max(1, n / PER_SUB)))))
