import { decodeRecord, lastNonZero, RECORD_HEADER_BYTES, type DecodeResult } from './frame.js'
import { readFully, type JournalFs } from './fs-ops.js'

/**
 * A recovery's view of one segment file through one reused window: it touches a few MiB of memory,
 * not the segment's size. Reading each 64 MiB segment whole into a new buffer took ~300 ms of a
 * restart on this machine's VM (the read into fresh pages, then the first pass over them), against
 * a few ms through a window already in memory (docs/operations.md, "Restarts").
 */
export class SegmentReader {
  readonly #fs: JournalFs
  readonly #fd: number
  /** the bytes of the file read (its size, or where its records end) */
  readonly size: number
  readonly #windowBytes: number
  readonly #freshWindows: boolean
  #buf = Buffer.alloc(0)
  /** file offset of #buf[0], and how many bytes of #buf hold the file */
  #at = 0
  #len = 0

  /**
   * `freshWindows`: each window is a new buffer, so a record's body stays valid after the reader
   * moves on (records() hands its bodies to a caller that keeps them); else one buffer is reused.
   */
  constructor(fs: JournalFs, fd: number, size: number, windowBytes: number, freshWindows = false) {
    this.#fs = fs
    this.#fd = fd
    this.size = size
    this.#windowBytes = windowBytes
    this.#freshWindows = freshWindows
  }

  /** The record at `off` (as decodeRecord; without freshWindows its body is valid until the next call). */
  async record(off: number, maxBody: number): Promise<DecodeResult> {
    const v = await this.#from(off, RECORD_HEADER_BYTES)
    const r = decodeRecord(v, 0, maxBody)
    if (r.ok || r.why === 'bad' || off + v.length >= this.size) return r
    // cut off by the window, not by the file: read again from `off`, as much as the record needs
    const need = v.length >= RECORD_HEADER_BYTES ? RECORD_HEADER_BYTES + v.readUInt32LE(0) : RECORD_HEADER_BYTES
    return decodeRecord(await this.#from(off, need), 0, maxBody)
  }

  /** Whether the file is all zero from `off` to its end. */
  async zeroFrom(off: number): Promise<boolean> {
    return (await this.lastNonZero(off)) === off
  }

  /** Offset after the last non-zero byte at or after `off` (`off` itself when all zero). */
  async lastNonZero(off: number): Promise<number> {
    let last = off
    for (let p = off; p < this.size; ) {
      const v = await this.#from(p, 1)
      const end = lastNonZero(v, 0)
      if (end > 0) last = p + end
      p += v.length
    }
    return last
  }

  /** The file from `off` to the end of the window holding it, at least `min` bytes of it (fewer only at the file's end). */
  async #from(off: number, min: number): Promise<Buffer> {
    const want = Math.min(min, this.size - off)
    if (off < this.#at || off + want > this.#at + this.#len) {
      const len = Math.min(Math.max(this.#windowBytes, want), this.size - off)
      if (this.#freshWindows || len > this.#buf.length) this.#buf = Buffer.allocUnsafe(len)
      await readFully(this.#fs, this.#fd, this.#buf.subarray(0, len), off)
      this.#at = off
      this.#len = len
    }
    return this.#buf.subarray(off - this.#at, this.#len)
  }
}
