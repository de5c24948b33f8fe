import { describe, expect, it } from 'vitest'
import { decodeMarkBody, decodeRecord, decodeSegmentHeader, encodeMarkBody, encodeRecordHeader, encodeSegmentHeader, isZero, lastNonZero, RecordType, RECORD_HEADER_BYTES } from './frame.js'

describe('journal framing', () => {
  const frame = (seq: number, body: Buffer) => Buffer.concat([encodeRecordHeader(seq, RecordType.open, 1, body), body])

  it('round-trips a record, with sequence numbers past 2^32', () => {
    const body = Buffer.from('<DUIS/>')
    const r = decodeRecord(frame(2 ** 40 + 7, body), 0, 1 << 20)
    expect(r).toMatchObject({ ok: true, record: { seq: 2 ** 40 + 7, type: RecordType.open, flags: 1, size: RECORD_HEADER_BYTES + body.length } })
    expect(r.ok && r.record.body.equals(body)).toBe(true)
    expect(decodeMarkBody(encodeMarkBody(2 ** 33 + 1))).toBe(2 ** 33 + 1)
  })

  it('tells the end of data (zeros), a cut-off record and a damaged one apart', () => {
    const f = frame(5, Buffer.from('payload bytes'))
    expect(decodeRecord(Buffer.alloc(64), 0, 1 << 20)).toMatchObject({ ok: false, why: 'end' })
    expect(decodeRecord(f.subarray(0, f.length - 3), 0, 1 << 20)).toMatchObject({ ok: false, why: 'short' })
    const flipped = Buffer.from(f)
    flipped[RECORD_HEADER_BYTES + 2]! ^= 1
    expect(decodeRecord(flipped, 0, 1 << 20)).toMatchObject({ ok: false, why: 'bad', detail: 'CRC mismatch in record 5' })
    const seqFlipped = Buffer.from(f)
    seqFlipped[8]! ^= 1 // the sequence number is covered by the CRC too
    expect(decodeRecord(seqFlipped, 0, 1 << 20)).toMatchObject({ ok: false, why: 'bad' })
    expect(decodeRecord(f, 0, 4)).toMatchObject({ ok: false, why: 'bad', detail: 'length 13 exceeds the segment' })
  })

  it('checks the segment header', () => {
    expect(decodeSegmentHeader(encodeSegmentHeader(3, 42))).toEqual({ ok: true, id: 3, firstSeq: 42 })
    expect(decodeSegmentHeader(Buffer.alloc(32))).toEqual({ ok: false, zero: true })
    const h = encodeSegmentHeader(3, 42)
    h[13]! ^= 1
    expect(decodeSegmentHeader(h)).toEqual({ ok: false, zero: false })
  })
})

describe('zero scans (recovery of a preallocated segment)', () => {
  const sizes = [0, 1, 65_535, 65_536, 65_537, 3 * 65_536 + 17]
  it('isZero finds a single non-zero byte anywhere, including at chunk edges', () => {
    for (const n of sizes) {
      const b = new Uint8Array(n)
      expect(isZero(b)).toBe(true)
      for (const at of [0, n - 1, 65_535, 65_536, Math.floor(n / 2)].filter((x) => x >= 0 && x < n)) {
        b[at] = 7
        expect(isZero(b)).toBe(false)
        b[at] = 0
      }
    }
  })

  it('lastNonZero gives the offset after the last non-zero byte at or after `from`', () => {
    for (const n of sizes) {
      const b = new Uint8Array(n)
      expect(lastNonZero(b, 0)).toBe(0)
      for (const at of [0, n - 1, 65_535, 65_536, Math.floor(n / 2)].filter((x) => x >= 0 && x < n)) {
        b[at] = 1
        expect(lastNonZero(b, 0)).toBe(at + 1)
        expect(lastNonZero(b, at)).toBe(at + 1)
        expect(lastNonZero(b, at + 1)).toBe(at + 1) // nothing after it: `from` itself
        b[at] = 0
      }
    }
    const b = new Uint8Array(200_000)
    b[10] = 1
    b[150_000] = 2
    expect(lastNonZero(b, 0)).toBe(150_001)
    expect(lastNonZero(b, 150_001)).toBe(150_001)
  })
})
