// Compiled registry snapshots (docs/registry.md): one binary file holding the index's typed arrays as
// they are laid out in memory, so a start reads them straight into SharedArrayBuffers instead of
// parsing and building from the CSV files.
//
// Layout (little-endian):
//   0   8 bytes  magic "DCCGWREG"
//   8   u32      format version (SNAPSHOT_FORMAT)
//   12  u32      header JSON byte length H
//   16  u32      CRC-32 of the header JSON
//   20  u32      0
//   24  H bytes  header JSON (SnapshotHeader): sources, counts, parties, MPIDs, table scalars and a
//                table of arrays { table, name, type, offset, length, crc32 }
//   ... arrays, each at a 64-byte aligned offset
//   end 16 bytes trailer "DCCGWEND" + u64 file length (a truncated file has no trailer)
//
// Arrays are found generically: every typed-array property of the index's tables (main, orphans,
// devices) is one entry, every number property a scalar. A new array in a table (e.g. a per-row
// role) is written and read without touching this file; bump INDEX_LAYOUT in registry-index.ts
// so older snapshots are refused as stale instead of being read without it.
import { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync, fstatSync } from 'node:fs'
import { crc32 } from 'node:zlib'
import { endianness } from 'node:os'
import type { Party, RegistryCounts } from './types.js'
import { widthsOf, type LayoutWidths, type RegistrySnapshot } from './registry-index.js'
import type { SourceStamp } from './sources.js'

/**
 * 2: devices.role (devices.csv mpxn_role); effective_to inclusive (stored ends still exclusive).
 * 3: the sorted, bit-packed tables (registry-index.ts INDEX_LAYOUT), their field widths in the header.
 */
export const SNAPSHOT_FORMAT = 3
const MAGIC = Buffer.from('DCCGWREG', 'latin1')
const TRAILER = Buffer.from('DCCGWEND', 'latin1')
const PREFIX = 24
const ALIGN = 64
/** read and write in pieces: fs calls take at most 2 GiB, and pieces keep the page cache moving */
const CHUNK = 64 << 20

export const TABLES = ['main', 'orphans', 'devices'] as const
type TableName = (typeof TABLES)[number]

type Typed = Float64Array | Uint32Array | Uint16Array | Uint8Array | Int32Array
type TypedCtor = { new (b: SharedArrayBuffer, off: number, len: number): Typed; readonly BYTES_PER_ELEMENT: number }
const TYPES: Record<string, TypedCtor> = {
  Float64Array, Uint32Array, Uint16Array, Uint8Array, Int32Array,
}

export interface SnapshotArray {
  table: TableName
  name: string
  type: string
  /** byte offset in the file */
  offset: number
  /** elements */
  length: number
  crc32: number
}

export interface SnapshotHeader {
  format: number
  /** INDEX_LAYOUT of the code that wrote it */
  layout: string
  endianness: 'LE' | 'BE'
  createdAt: string
  /** the source files the index was built from, as they were when read */
  sources: SourceStamp[]
  /** delta files folded into this index, in order (name and CRC-32 of their bytes) */
  deltas: { name: string; crc32: number }[]
  loadedAt: number
  counts: RegistryCounts
  parties: Party[]
  mpids: string[]
  scalars: Record<TableName, Record<string, number>>
  /** the packed tables' field widths (also in `scalars`; stated for a reader of the header) */
  widths: LayoutWidths
  arrays: SnapshotArray[]
  fileBytes: number
}

export class SnapshotError extends Error {
  override readonly name = 'SnapshotError'
  constructor(readonly file: string, readonly kind: 'corrupt' | 'truncated' | 'stale' | 'unreadable', readonly detail: string) {
    super(`${file}: ${kind}: ${detail}`)
  }
}

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN

function bytesOf(a: Typed): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
}

/** The arrays and scalars of a snapshot's tables, in a fixed order. */
function partsOf(s: RegistrySnapshot): { arrays: { table: TableName; name: string; a: Typed }[]; scalars: SnapshotHeader['scalars'] } {
  const arrays: { table: TableName; name: string; a: Typed }[] = []
  const scalars = { main: {}, orphans: {}, devices: {} } as SnapshotHeader['scalars']
  for (const table of TABLES) {
    for (const [name, v] of Object.entries(s[table] as unknown as Record<string, unknown>)) {
      if (ArrayBuffer.isView(v)) {
        const ctor = (v as Typed).constructor.name
        if (!(ctor in TYPES)) throw new Error(`snapshot: ${table}.${name} is a ${ctor}, not a supported typed array`)
        arrays.push({ table, name, a: v as Typed })
      } else if (typeof v === 'number') scalars[table][name] = v
      else throw new Error(`snapshot: ${table}.${name} is neither a typed array nor a number`)
    }
  }
  return { arrays, scalars }
}

function writeAll(fd: number, b: Uint8Array, pos: number): void {
  for (let o = 0; o < b.byteLength; ) {
    const n = writeSync(fd, b, o, Math.min(CHUNK, b.byteLength - o), pos + o)
    o += n
  }
}

/**
 * Writes `s` to `file` atomically (a temporary file beside it, fsync, rename): a crash leaves the
 * old file or the new one, never half of one. Returns the header written.
 */
export function writeSnapshotFile(
  file: string,
  s: RegistrySnapshot,
  meta: { layout: string; sources: SourceStamp[]; deltas: SnapshotHeader['deltas'] },
): SnapshotHeader {
  const { arrays, scalars } = partsOf(s)
  const table: SnapshotArray[] = arrays.map(({ table, name, a }) => ({
    table, name, type: a.constructor.name, offset: 0, length: a.length, crc32: crc32(bytesOf(a)),
  }))
  const header: SnapshotHeader = {
    format: SNAPSHOT_FORMAT, layout: meta.layout, endianness: endianness(), createdAt: new Date().toISOString(),
    sources: meta.sources, deltas: meta.deltas, loadedAt: s.loadedAt, counts: s.counts, parties: s.parties, mpids: s.mpids,
    scalars, widths: widthsOf(s), arrays: table, fileBytes: 0,
  }
  // offsets depend on the header's length, which depends on the offsets' digits: iterate to a fixpoint
  let json = ''
  for (let i = 0; i < 5; i++) {
    let off = align(PREFIX + Buffer.byteLength(JSON.stringify(header)) + 64)
    for (const e of table) {
      e.offset = off
      off = align(off + e.length * TYPES[e.type]!.BYTES_PER_ELEMENT)
    }
    header.fileBytes = off + TRAILER.length + 8
    const next = JSON.stringify(header)
    if (next === json) break
    json = next
  }
  const hb = Buffer.from(json, 'utf8')
  if (PREFIX + hb.length > table[0]!.offset) throw new Error('snapshot: header layout did not settle')
  const prefix = Buffer.alloc(PREFIX)
  MAGIC.copy(prefix, 0)
  prefix.writeUInt32LE(SNAPSHOT_FORMAT, 8)
  prefix.writeUInt32LE(hb.length, 12)
  prefix.writeUInt32LE(crc32(hb), 16)
  const trailer = Buffer.alloc(16)
  TRAILER.copy(trailer, 0)
  trailer.writeBigUInt64LE(BigInt(header.fileBytes), 8)

  const tmp = `${file}.tmp-${process.pid}`
  const fd = openSync(tmp, 'w', 0o640)
  try {
    writeAll(fd, prefix, 0)
    writeAll(fd, hb, PREFIX)
    arrays.forEach(({ a }, i) => writeAll(fd, bytesOf(a), table[i]!.offset))
    writeAll(fd, trailer, header.fileBytes - 16)
    fsyncSync(fd)
  } catch (err) {
    closeSync(fd)
    rmSync(tmp, { force: true })
    throw err
  }
  closeSync(fd)
  renameSync(tmp, file)
  return header
}

function readExactly(fd: number, b: Uint8Array, pos: number, file: string): void {
  for (let o = 0; o < b.byteLength; ) {
    const n = readSync(fd, b, o, Math.min(CHUNK, b.byteLength - o), pos + o)
    if (n === 0) throw new SnapshotError(file, 'truncated', `file ends at byte ${pos + o}, expected ${pos + b.byteLength}`)
    o += n
  }
}

/** The header of a snapshot file, checked (magic, format, CRC, length, trailer); arrays not read. */
export function readSnapshotHeader(file: string, fd: number): SnapshotHeader {
  const size = fstatSync(fd).size
  if (size < PREFIX + 16) throw new SnapshotError(file, 'truncated', `${size} bytes is shorter than any snapshot`)
  const prefix = Buffer.alloc(PREFIX)
  readExactly(fd, prefix, 0, file)
  if (!prefix.subarray(0, 8).equals(MAGIC)) throw new SnapshotError(file, 'corrupt', 'not a registry snapshot (bad magic)')
  const format = prefix.readUInt32LE(8)
  if (format !== SNAPSHOT_FORMAT) throw new SnapshotError(file, 'stale', `format ${format}, this version reads format ${SNAPSHOT_FORMAT}`)
  const hlen = prefix.readUInt32LE(12)
  if (PREFIX + hlen > size) throw new SnapshotError(file, 'truncated', `header of ${hlen} bytes runs past the end of the file (${size} bytes)`)
  const hb = Buffer.alloc(hlen)
  readExactly(fd, hb, PREFIX, file)
  if (crc32(hb) !== prefix.readUInt32LE(16)) throw new SnapshotError(file, 'corrupt', 'header checksum mismatch')
  let h: SnapshotHeader
  try {
    h = JSON.parse(hb.toString('utf8')) as SnapshotHeader
  } catch {
    throw new SnapshotError(file, 'corrupt', 'header is not JSON')
  }
  if (size < h.fileBytes) throw new SnapshotError(file, 'truncated', `${size} of ${h.fileBytes} bytes`)
  if (size > h.fileBytes) throw new SnapshotError(file, 'corrupt', `${size} bytes, the header says ${h.fileBytes}`)
  const trailer = Buffer.alloc(16)
  readExactly(fd, trailer, size - 16, file)
  if (!trailer.subarray(0, 8).equals(TRAILER) || Number(trailer.readBigUInt64LE(8)) !== size)
    throw new SnapshotError(file, 'corrupt', 'bad trailer')
  if (h.endianness !== endianness()) throw new SnapshotError(file, 'stale', `written on a ${h.endianness} machine`)
  return h
}

/**
 * Reads a snapshot's arrays into new SharedArrayBuffers (no intermediate copy: peak memory is the
 * index itself) and checks each array's CRC-32. `layout` is the reader's INDEX_LAYOUT.
 */
export async function readSnapshotFile(
  file: string,
  layout: string,
  check?: (h: SnapshotHeader) => Promise<void> | void,
): Promise<{ snapshot: RegistrySnapshot; header: SnapshotHeader }> {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (err) {
    throw new SnapshotError(file, 'unreadable', (err as Error).message)
  }
  try {
    const h = readSnapshotHeader(file, fd)
    if (h.layout !== layout) throw new SnapshotError(file, 'stale', `index layout "${h.layout}", this version uses "${layout}"`)
    await check?.(h)
    const tables: Record<TableName, Record<string, unknown>> = { main: { ...h.scalars.main }, orphans: { ...h.scalars.orphans }, devices: { ...h.scalars.devices } }
    for (const e of h.arrays) {
      const Ctor = TYPES[e.type]
      if (!Ctor || !(TABLES as readonly string[]).includes(e.table)) throw new SnapshotError(file, 'corrupt', `unknown array ${e.table}.${e.name} (${e.type})`)
      const bytes = e.length * Ctor.BYTES_PER_ELEMENT
      if (e.offset % ALIGN !== 0 || e.offset + bytes > h.fileBytes - 16) throw new SnapshotError(file, 'corrupt', `array ${e.table}.${e.name} out of bounds`)
      const sab = new SharedArrayBuffer(bytes)
      const view = new Uint8Array(sab)
      readExactly(fd, view, e.offset, file)
      if (crc32(view) !== e.crc32) throw new SnapshotError(file, 'corrupt', `checksum mismatch in ${e.table}.${e.name}`)
      tables[e.table][e.name] = new Ctor(sab, 0, e.length)
    }
    const snapshot = {
      loadedAt: h.loadedAt, counts: h.counts, parties: h.parties, mpids: h.mpids,
      main: tables.main, orphans: tables.orphans, devices: tables.devices,
    } as unknown as RegistrySnapshot
    if (JSON.stringify(widthsOf(snapshot)) !== JSON.stringify(h.widths)) throw new SnapshotError(file, 'corrupt', 'field widths in the header do not match the tables')
    return { snapshot, header: h }
  } finally {
    closeSync(fd)
  }
}
