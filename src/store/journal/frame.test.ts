import { describe, expect, it } from 'vitest'
import { decodeMarkBody, decodeRecord, decodeSegmentHeader, encodeMarkBody, encodeRecordHeader, encodeSegmentHeader, RecordType, RECORD_HEADER_BYTES } from './frame.js'

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
