import { describe, expect, it } from 'vitest'
import { MemorySpool } from './memory-spool.js'
import type { SpoolItem } from './types.js'

function item(s: MemorySpool, target: SpoolItem['target'], party: string, mpxn: string | null, at: number, bytes = 10): SpoolItem {
  const i: SpoolItem = {
    id: s.nextId(), messageId: `m${at}`, target, party, mpxn, contentType: 'application/xml', body: Buffer.alloc(bytes), headers: {},
    attempts: 0, nextAttemptAt: at, createdAt: at, obligationId: null,
  }
  s.add(i)
  return i
}

describe('memory spool', () => {
  it('offers only the head of each MPxN lane, in arrival order; a message without an MPxN is its own lane', () => {
    const s = new MemorySpool()
    const a1 = item(s, 'adapter', 'ACME', '1', 1)
    const a2 = item(s, 'adapter', 'ACME', '1', 2)
    const b1 = item(s, 'adapter', 'ACME', '2', 3)
    const n1 = item(s, 'adapter', 'ACME', null, 4)
    const n2 = item(s, 'adapter', 'ACME', null, 5)
    expect(s.due(10, 10).map((i) => i.id)).toEqual([a1.id, b1.id, n1.id, n2.id])
    s.remove(a1.id)
    expect(s.due(10, 10).map((i) => i.id)).toEqual([a2.id, b1.id, n1.id, n2.id])
    expect(s.due(10, 2).map((i) => i.id)).toEqual([a2.id, b1.id])
  })

  it('skips blocked target+party groups and heads not due yet; nextDueAt is the earliest head outside them', () => {
    const s = new MemorySpool()
    const a = item(s, 'adapter', 'ACME', '1', 1)
    const n = item(s, 'notice', 'BRITE', '1', 2)
    a.nextAttemptAt = 100 // retrying
    expect(s.due(10, 10).map((i) => i.id)).toEqual([n.id])
    expect(s.due(10, 10, ['notice BRITE'])).toEqual([])
    expect(s.nextDueAt(10, ['notice BRITE'])).toBe(100)
    expect(s.nextDueAt(10)).toBe(2)
    expect(s.due(100, 10).map((i) => i.id)).toEqual([n.id, a.id])
  })

  it('merges groups by due time, so one busy party does not starve another', () => {
    const s = new MemorySpool()
    for (let k = 0; k < 5; k++) item(s, 'adapter', 'ACME', String(k), 10 + k)
    const other = item(s, 'adapter', 'OTHER', '9', 1)
    expect(s.due(100, 2).map((i) => i.party)).toEqual(['OTHER', 'ACME'])
    expect(s.due(100, 2)[0]!.id).toBe(other.id)
  })

  it('keeps depth, bytes and the oldest item per target as counters', () => {
    const s = new MemorySpool()
    const a = item(s, 'adapter', 'ACME', '1', 5, 100)
    item(s, 'adapter', 'ACME', '1', 7, 50)
    item(s, 'notice', 'BRITE', null, 6, 20)
    expect(s.bounds()).toEqual({ n: 3, bytes: 170, oldest: 5 })
    expect(s.depth()).toEqual([{ target: 'adapter', n: 2, oldest: 5 }, { target: 'notice', n: 1, oldest: 6 }])
    s.remove(a.id)
    expect(s.bounds()).toEqual({ n: 2, bytes: 70, oldest: 6 })
    expect(s.depth()).toEqual([{ target: 'adapter', n: 1, oldest: 7 }, { target: 'notice', n: 1, oldest: 6 }])
    expect(s.remove(a.id)).toBeUndefined()
  })

  it('counts the deliveries not attempted yet per target and party: a failed attempt or a removal of one takes it out', () => {
    const s = new MemorySpool()
    const a1 = item(s, 'adapter', 'ACME', '1', 1)
    const a2 = item(s, 'adapter', 'ACME', '1', 2) // behind a1 in its lane: waiting too
    const b = item(s, 'adapter', 'BRITE', '2', 3)
    const n = item(s, 'notice', 'BRITE', null, 4)
    const waiting = () => Object.fromEntries(s.waiting())
    expect(waiting()).toEqual({ 'adapter ACME': 2, 'adapter BRITE': 1, 'notice BRITE': 1 })
    s.retryLater(a1, 100)
    expect([a1.attempts, a1.nextAttemptAt]).toEqual([1, 100])
    expect(waiting()).toEqual({ 'adapter ACME': 1, 'adapter BRITE': 1, 'notice BRITE': 1 })
    s.retryLater(a1, 200) // a second failure: counted once
    expect(waiting()).toEqual({ 'adapter ACME': 1, 'adapter BRITE': 1, 'notice BRITE': 1 })
    s.remove(a1.id) // an attempted item leaves without changing the count
    expect(waiting()).toEqual({ 'adapter ACME': 1, 'adapter BRITE': 1, 'notice BRITE': 1 })
    s.remove(a2.id)
    s.remove(n.id)
    expect(waiting()).toEqual({ 'adapter BRITE': 1 })
    s.remove(b.id)
    expect(waiting()).toEqual({})
    const again: SpoolItem = { ...b, id: s.nextId(), attempts: 2 } // loaded back after a restart, attempted before
    s.add(again)
    expect(waiting()).toEqual({})
  })
})
