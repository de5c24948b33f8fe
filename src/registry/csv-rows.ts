// A byte-level row scanner for the registry CSVs. They are 3–5 short unquoted columns, so a hand
// scanner that never builds row strings beats csv-parse by a wide margin. Measured on the 1M-MPxN
// world's registrations.csv (1,197,022 rows, 33 MiB; 2-core AMD EPYC VM, Node 20.20, three runs):
// csv-parse 6 streaming, rows counted only = 1.9–2.9 s; a line reader + splitFields = 150–190 ms.
// scanRows finds the line ends and the field bounds in one pass over 1 MB reads into one reused
// buffer (no stream, no per-chunk concatenation, no call per line to find its end). On the 10M
// world's two files it takes the CPU time of the line reader it replaced (readLines + splitFields,
// ~2.4 s) with ~35 MB less peak RSS: the same-run figures are in bench/results/registry.md
// (`npm run bench:registry -- --sizes 1e7 --only scan,scan@base --base-dist DIR`).
// Supported: `\n` or `\r\n`, UTF-8 BOM, blank lines (the caller skips them), spaces around fields,
// a field in plain double quotes. Embedded commas or quotes are not valid in any registry field.
import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { createGunzip } from 'node:zlib'
import { RegistryLoadError } from './errors.js'
import type { RunningCrc } from './sources.js'

export const MAX_FIELDS = 6
/** Field bounds of the current line: [start0, end0, start1, end1, ...]; scratch, reused per line. */
export const fields = new Int32Array(MAX_FIELDS * 2)

/** Trims fields[0..n) in place: spaces and tabs around a field, then one pair of double quotes. */
function trimFields(buf: Uint8Array, n: number): void {
  for (let k = 0; k < n; k++) {
    let a = fields[2 * k]!
    let b = fields[2 * k + 1]!
    while (a < b && (buf[a] === 32 || buf[a] === 9)) a++
    while (b > a && (buf[b - 1] === 32 || buf[b - 1] === 9)) b--
    if (b - a >= 2 && buf[a] === 34 && buf[b - 1] === 34) {
      a++
      b--
    }
    fields[2 * k] = a
    fields[2 * k + 1] = b
  }
}

/**
 * Split buf[s, e) at commas into `fields`, trimming spaces/tabs and one pair of double quotes.
 * Returns the field count (MAX_FIELDS + 1 when there are more).
 */
export function splitFields(buf: Uint8Array, s: number, e: number): number {
  let commas = 0
  let fs = s
  for (let i = s; i < e; i++) {
    if (buf[i] !== 44) continue
    if (commas < MAX_FIELDS) {
      fields[2 * commas] = fs
      fields[2 * commas + 1] = i
    }
    commas++
    fs = i + 1
  }
  return endFields(buf, commas, fs, e)
}

/** The last field [fs, e) of a line with `commas` commas before it; trims; returns the field count as splitFields. */
function endFields(buf: Uint8Array, commas: number, fs: number, e: number): number {
  if (commas >= MAX_FIELDS) {
    trimFields(buf, MAX_FIELDS)
    return MAX_FIELDS + 1
  }
  fields[2 * commas] = fs
  fields[2 * commas + 1] = e
  trimFields(buf, commas + 1)
  return commas + 1
}

/** Called once per line with its fields split into `fields`: `n` as splitFields returns it, 1-based `line`. */
export type RowSink = (buf: Buffer, n: number, line: number) => void
export type ByteProgress = (lines: number, bytes: number, totalBytes: number) => void

/** Reads of this size into one buffer (grown only for a longer line); tests pass smaller ones. 4 MB reads measured no faster. */
const READ_BYTES = 1 << 20

/** A file's bytes (gunzipped for .gz) into a caller's buffer; `raw` counts the bytes as stored. */
interface ByteSource {
  read(into: Buffer, off: number): Promise<number>
  raw(): number
  close(): Promise<void>
}

async function plainSource(path: string, crc: RunningCrc | undefined): Promise<ByteSource> {
  const fh = await open(path, 'r')
  let raw = 0
  return {
    async read(into, off) {
      const { bytesRead } = await fh.read(into, off, into.length - off, null)
      if (bytesRead > 0) crc?.add(into.subarray(off, off + bytesRead))
      raw += bytesRead
      return bytesRead
    },
    raw: () => raw,
    close: () => fh.close(),
  }
}

function gzipSource(path: string, crc: RunningCrc | undefined): ByteSource {
  const file = createReadStream(path, { highWaterMark: 1 << 20 })
  let raw = 0
  file.on('data', (c) => {
    raw += c.length
    crc?.add(c as Buffer)
  })
  const gunzip = file.pipe(createGunzip())
  file.on('error', (e) => gunzip.destroy(e))
  const chunks = (gunzip as AsyncIterable<Buffer>)[Symbol.asyncIterator]()
  let pending: Buffer | undefined
  let at = 0
  return {
    async read(into, off) {
      while (!pending || at === pending.length) {
        const r = await chunks.next()
        if (r.done) return 0
        pending = r.value
        at = 0
      }
      const n = pending.copy(into, off, at)
      at += n
      return n
    },
    raw: () => raw,
    close: async () => {
      gunzip.destroy()
      file.destroy()
    },
  }
}

/**
 * Stream a file (gzip when it ends in .gz) and call `sink` once per line, its fields split (the
 * line break, and a `\r` before it, excluded). Progress is reported per read in raw (compressed)
 * bytes; `crc`, when given, runs over the raw bytes (the file as stored: a snapshot's source checksum).
 */
export async function scanRows(path: string, sink: RowSink, progress?: ByteProgress, crc?: RunningCrc, readBytes = READ_BYTES): Promise<{ lines: number; bytes: number }> {
  let totalBytes = 0
  let src: ByteSource
  try {
    totalBytes = (await stat(path)).size
    src = path.endsWith('.gz') ? gzipSource(path, crc) : await plainSource(path, crc)
  } catch (err) {
    throw new RegistryLoadError('DCCGW_ERR_REGISTRY_READ', path, (err as Error).message)
  }
  const scan = new LineScanner(sink)
  let buf: Buffer = Buffer.allocUnsafe(readBytes)
  let have = 0 // bytes of an incomplete line at the front of buf
  let first = true
  try {
    for (;;) {
      if (have === buf.length) buf = grown(buf)
      const got = await src.read(buf, have)
      const end = have + got
      let pos = 0
      if (first && (end >= 3 || got === 0)) {
        first = false
        if (end >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3
      }
      if (got === 0) {
        if (end > pos) scan.last(buf, pos, end)
        break
      }
      if (first) {
        have = end
        continue
      }
      pos = scan.lines(buf, pos, end)
      buf.copyWithin(0, pos, end)
      have = end - pos
      progress?.(scan.line, src.raw(), totalBytes)
    }
  } catch (err) {
    if (err instanceof RegistryLoadError) throw err
    throw new RegistryLoadError('DCCGW_ERR_REGISTRY_READ', path, (err as Error).message)
  } finally {
    await src.close()
  }
  progress?.(scan.line, src.raw(), totalBytes)
  return { lines: scan.line, bytes: src.raw() }
}

function grown(buf: Buffer): Buffer {
  const b = Buffer.allocUnsafe(buf.length * 2)
  buf.copy(b)
  return b
}

class LineScanner {
  line = 0
  constructor(readonly sink: RowSink) {}

  /** Every complete line in buf[pos, end) to the sink; returns where the incomplete rest starts. */
  lines(buf: Buffer, pos: number, end: number): number {
    let ls = pos
    let fs = pos
    let commas = 0
    for (let i = pos; i < end; i++) {
      const c = buf[i]!
      if (c > 44) continue // digits, letters, '-': most bytes
      if (c === 44) {
        if (commas < MAX_FIELDS) {
          fields[2 * commas] = fs
          fields[2 * commas + 1] = i
        }
        commas++
        fs = i + 1
      } else if (c === 10) {
        const e = i > ls && buf[i - 1] === 13 ? i - 1 : i
        this.sink(buf, endFields(buf, commas, fs, e), ++this.line)
        ls = fs = i + 1
        commas = 0
      }
    }
    return ls
  }

  /** A last line with no line break after it. */
  last(buf: Buffer, s: number, e: number): void {
    this.sink(buf, splitFields(buf, s, buf[e - 1] === 13 ? e - 1 : e), ++this.line)
  }
}
