import { crc32 } from 'node:zlib'

// On-disk framing of the journal (little-endian). Pure: bytes in, values out.
//
// Segment header, 32 bytes at offset 0 (written with the segment's first group, never alone):
//   0  magic "DCCGWJ01"        8  segment id u32      12 first sequence number u64
//   20 reserved (0) u32        24 CRC32 of bytes 0..24                 28 reserved (0) u32
// Record, 24 bytes of header then the body:
//   0  body length u32         4  CRC32 of bytes 8..24 and the body
//   8  sequence number u64     16 type u8   17 flags u8   18 reserved (0) u16   20 reserved (0) u32
// A zero-filled header (length 0, CRC 0, sequence 0) is the end of the data in a preallocated file.

export const SEGMENT_HEADER_BYTES = 32
export const RECORD_HEADER_BYTES = 24
const MAGIC = Buffer.from('DCCGWJ01', 'latin1')

/** What a record is, for settlement: open records must be marked before their segment may go. */
export const RecordType = {
  /** must be marked delivered or moved before its segment may be retired */
  open: 1,
  /** informational (a drop, an audit fact): never blocks retirement */
  closed: 2,
  /** body: the u64 sequence number of an open record now delivered */
  delivered: 3,
  /** body: the u64 sequence number of an open record whose duty moved elsewhere */
  moved: 4,
} as const
export type RecordTypeCode = (typeof RecordType)[keyof typeof RecordType]

/** flags bit 0: the body holds message bytes, so the segment is overwritten before unlink */
export const FLAG_PAYLOAD = 1

const U32 = 0x1_0000_0000

export function encodeSegmentHeader(id: number, firstSeq: number): Buffer {
  const b = Buffer.alloc(SEGMENT_HEADER_BYTES)
  MAGIC.copy(b, 0)
  b.writeUInt32LE(id, 8)
  writeU64(b, 12, firstSeq)
  b.writeUInt32LE(crc32(b.subarray(0, 24)), 24)
  return b
}

export type SegmentHeader = { ok: true; id: number; firstSeq: number } | { ok: false; zero: boolean }

export function decodeSegmentHeader(b: Buffer): SegmentHeader {
  if (b.length < SEGMENT_HEADER_BYTES) return { ok: false, zero: isZero(b) }
  if (!b.subarray(0, 8).equals(MAGIC) || b.readUInt32LE(24) !== crc32(b.subarray(0, 24))) {
    return { ok: false, zero: isZero(b.subarray(0, SEGMENT_HEADER_BYTES)) }
  }
  return { ok: true, id: b.readUInt32LE(8), firstSeq: readU64(b, 12) }
}

/** The header of one record; the body is written after it as its own buffer (no copy). */
export function encodeRecordHeader(seq: number, type: RecordTypeCode, flags: number, body: Uint8Array): Buffer {
  const h = Buffer.allocUnsafe(RECORD_HEADER_BYTES)
  h.writeUInt32LE(body.length, 0)
  writeU64(h, 8, seq)
  h[16] = type
  h[17] = flags
  h.writeUInt16LE(0, 18)
  h.writeUInt32LE(0, 20)
  h.writeUInt32LE(crc32(body, crc32(h.subarray(8, RECORD_HEADER_BYTES))), 4)
  return h
}

export interface DecodedRecord {
  seq: number
  type: RecordTypeCode
  flags: number
  body: Buffer
  /** bytes taken by header and body */
  size: number
}

export type DecodeResult =
  | { ok: true; record: DecodedRecord }
  /** end: a zero header; short: the buffer ends inside the record; bad: length, type or CRC wrong */
  | { ok: false; why: 'end' | 'short' | 'bad'; detail: string }

/** Decodes the record at `offset` of `b`; `maxBody` bounds the length field (a torn length reads as huge). */
export function decodeRecord(b: Buffer, offset: number, maxBody: number): DecodeResult {
  if (b.length - offset < RECORD_HEADER_BYTES) {
    return isZero(b.subarray(offset)) ? { ok: false, why: 'end', detail: 'zero header' } : { ok: false, why: 'short', detail: 'header cut off' }
  }
  const len = b.readUInt32LE(offset)
  const crc = b.readUInt32LE(offset + 4)
  const seq = readU64(b, offset + 8)
  if (len === 0 && crc === 0 && seq === 0 && isZero(b.subarray(offset + 16, offset + RECORD_HEADER_BYTES))) {
    return { ok: false, why: 'end', detail: 'zero header' }
  }
  if (len > maxBody) return { ok: false, why: 'bad', detail: `length ${len} exceeds the segment` }
  const type = b[offset + 16]!
  if (type < RecordType.open || type > RecordType.moved) return { ok: false, why: 'bad', detail: `unknown record type ${type}` }
  const end = offset + RECORD_HEADER_BYTES + len
  if (end > b.length) return { ok: false, why: 'short', detail: 'body cut off' }
  const body = b.subarray(offset + RECORD_HEADER_BYTES, end)
  if (crc32(body, crc32(b.subarray(offset + 8, offset + RECORD_HEADER_BYTES))) !== crc) {
    return { ok: false, why: 'bad', detail: `CRC mismatch in record ${seq}` }
  }
  return { ok: true, record: { seq, type: type as RecordTypeCode, flags: b[offset + 17]!, body, size: RECORD_HEADER_BYTES + len } }
}

/** The body of a delivered/moved mark: the sequence number it settles. */
export function encodeMarkBody(target: number): Buffer {
  const b = Buffer.allocUnsafe(8)
  writeU64(b, 0, target)
  return b
}

export function decodeMarkBody(body: Buffer): number {
  return body.length === 8 ? readU64(body, 0) : -1
}

export function isZero(b: Uint8Array): boolean {
  for (let at = 0; at < b.length; at += ZEROS.length) if (!zeroBetween(b, at, Math.min(b.length, at + ZEROS.length))) return false
  return true
}

/** Offset after the last non-zero byte of `b` at or after `from` (`from` itself when all zero). */
export function lastNonZero(b: Uint8Array, from: number): number {
  for (let end = b.length; end > from; ) {
    const start = Math.max(from, end - ZEROS.length)
    if (!zeroBetween(b, start, end)) {
      for (let i = end - 1; i >= start; i--) if (b[i] !== 0) return i + 1
    }
    end = start
  }
  return from
}

/** compared against in chunks (memcmp): a recovery scans a preallocated segment's zeros, 64 MiB by default */
const ZEROS = new Uint8Array(64 * 1024)

/** Whether b[start, end) is all zero; at most one chunk (end - start <= ZEROS.length). */
function zeroBetween(b: Uint8Array, start: number, end: number): boolean {
  return Buffer.compare(b.subarray(start, end), ZEROS.subarray(0, end - start)) === 0
}

function writeU64(b: Buffer, at: number, v: number): void {
  b.writeUInt32LE(v % U32, at)
  b.writeUInt32LE(Math.floor(v / U32), at + 4)
}

function readU64(b: Buffer, at: number): number {
  return b.readUInt32LE(at + 4) * U32 + b.readUInt32LE(at)
}
