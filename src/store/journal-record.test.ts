import { describe, expect, it } from 'vitest'
import { decodeFact, encodeFact, type JournalFact } from './journal-record.js'

describe('journal fact records', () => {
  const fact: JournalFact = {
    t: 'rejected', ref: { seq: 7, row: null }, quarantineId: 'q-1', detail: 'adapter said: 4xx — “tarif£” ✓ 🔌', at: 1_700_000_000_000,
    messageId: 'm-1', party: 'SUP01', mpxn: null, contentType: 'application/xml',
  }

  it('round-trips a header with multi-byte characters and the body after it, byte for byte', () => {
    const body = Buffer.from('<Response>£ ü</Response>')
    const b = encodeFact(fact, body)
    const head = JSON.stringify(fact)
    expect(b.readUInt32LE(0)).toBe(Buffer.byteLength(head))
    expect(b.length).toBe(4 + Buffer.byteLength(head) + body.length)
    const back = decodeFact(b)
    expect(back.fact).toEqual(fact)
    expect(back.body.equals(body)).toBe(true)
  })

  it('has an empty body when none is kept', () => {
    const back = decodeFact(encodeFact(fact))
    expect(back.fact).toEqual(fact)
    expect(back.body.length).toBe(0)
  })
})
