import { decodeRecord, lastNonZero, RECORD_HEADER_BYTES, type DecodeResult } from './frame.js'
import type { JournalFs } from './fs-ops.js'

/**
 * A recovery's view of one segment file through one reused window: it touches a few MiB of memory,
 * not the segment's size. Reading each 64 MiB segment whole into a new buffer took ~300 ms of a
 * restart on this machine's VM (the read into fresh pages, then the first pass over them), against
 * a few ms through a window already in memory (docs/operations.md, "Restarts").
 */
export class SegmentReader {
  readonly #fs: JournalFs
  readonly #fd: number
  /** the file's size */
  readonly size: number
  #buf: Buffer
  /** file offset of #buf[0], and how many bytes of #buf hold the file */
  #at = 0
  #len = 0

  constructor(fs: JournalFs, fd: number, size: number, windowBytes: number) {
    this.#fs = fs
    this.#fd = fd
    this.size = size
    this.#buf = Buffer.allocUnsafe(Math.max(RECORD_HEADER_BYTES, Math.min(windowBytes, size)))
  }

  /** The record at `off` (as decodeRecord; its body is valid until the next call). */
  async record(off: number, maxBody: number): Promise<DecodeResult> {
    let v = await this.#from(off, RECORD_HEADER_BYTES)
    let r = decodeRecord(v, 0, maxBody)
    if (r.ok || r.why === 'bad' || off + v.length >= this.size) return r
    // cut off by the window, not by the file: read again from `off`, as much as the record needs
    const need = v.length >= RECORD_HEADER_BYTES ? RECORD_HEADER_BYTES + v.readUInt32LE(0) : RECORD_HEADER_BYTES
    v = await this.#from(off, need)
    r = decodeRecord(v, 0, maxBody)
    return r
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
      if (want > this.#buf.length) this.#buf = Buffer.allocUnsafe(want)
      const len = Math.min(this.#buf.length, this.size - off)
      for (let got = 0; got < len; ) {
        const n = await this.#fs.read(this.#fd, this.#buf, got, len - got, off + got)
        if (n === 0) throw new Error(`journal: unexpected end of file at ${off + got}`)
        got += n
      }
      this.#at = off
      this.#len = len
    }
    return this.#buf.subarray(off - this.#at, this.#len)
  }
}
