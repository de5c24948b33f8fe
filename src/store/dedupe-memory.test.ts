import { describe, expect, it } from 'vitest'
import { DedupeMemory, type Seen } from './dedupe-memory.js'
import { hash52 } from './message-hash.js'

const seen = (receivedAt: number): Seen => ({ decision: 'drop', reason: 'stale-cos-noncritical', quarantineId: null, obligationId: null, receivedAt })

describe('dedupe memory', () => {
  it('keeps the newest whole and older IDs as hashes: a repeat of an older one is a "maybe", a new ID is unknown', () => {
    const m = new DedupeMemory(60_000, 4)
    for (let i = 0; i < 10; i++) m.set(`id-${i}`, seen(1000 + i))
    expect(m.size).toBe(10)
    expect(m.get('id-9')).toMatchObject({ receivedAt: 1009 }) // recent: answered whole
    expect(m.recent('id-9')).toBeDefined()
    for (let i = 0; i < 6; i++) expect(m.get(`id-${i}`)).toBe('maybe')
    expect(m.recent('id-0')).toBeUndefined()
    for (let i = 10; i < 1000; i++) expect(m.get(`id-${i}`)).toBeUndefined()
  })

  it('never moves an entry still syncing to the hashed part', () => {
    const m = new DedupeMemory(60_000, 2)
    const pending = new Promise<never>(() => undefined)
    m.set('syncing', pending)
    for (let i = 0; i < 5; i++) m.set(`id-${i}`, seen(1000 + i))
    expect(m.get('syncing')).toBe(pending)
  })

  it('forgets whole generations once they end before the window, and recent entries past it', () => {
    const window = 100_000
    const m = new DedupeMemory(window, 2)
    for (let i = 0; i < 40; i++) m.set(`old-${i}`, seen(i * 100)) // 0 .. 3,900 ms
    for (let i = 0; i < 3; i++) m.set(`new-${i}`, seen(200_000 + i))
    m.forgetOld()
    for (let i = 0; i < 40; i++) expect(m.get(`old-${i}`)).toBeUndefined()
    expect(m.get('new-0')).toBe('maybe')
    expect(m.get('new-2')).toMatchObject({ receivedAt: 200_002 })
    expect(m.size).toBe(3)
  })

  it('keeps a generation that still reaches into the window (at least the window is remembered)', () => {
    const window = 100_000
    const m = new DedupeMemory(window, 1)
    m.set('a', seen(0))
    m.set('b', seen(5_000))
    m.set('c', seen(104_000)) // cutoff 4,000: 'b' (5,000) is inside, so its generation stays
    m.forgetOld()
    expect(m.get('b')).toBe('maybe')
  })

  it('forgetBefore drops what was received before a time (audit rows purged)', () => {
    const m = new DedupeMemory(1e12, 1)
    for (let i = 0; i < 5; i++) m.set(`id-${i}`, seen(i * 1e11))
    m.forgetBefore(2.5e11) // generations are a tenth of the window (1e11): those ending before it go
    expect(m.get('id-4')).toMatchObject({ receivedAt: 4e11 })
    expect(m.get('id-3')).toBe('maybe')
    expect(m.get('id-2')).toBeUndefined()
    expect(m.get('id-0')).toBeUndefined()
  })

  it('a start loads the window as hashes; what is accepted after it is kept whole again', () => {
    const m = new DedupeMemory(60_000, 3)
    m.load(Array.from({ length: 1000 }, (_, i): [number, number] => [hash52(`id-${i}`), i]))
    expect(m.size).toBe(1000)
    expect(m.wholeCount).toBe(0)
    expect(m.get('id-999')).toBe('maybe')
    expect(m.get('id-0')).toBe('maybe')
    expect(m.get('id-1000')).toBeUndefined()
    expect(m.newestAt).toBe(999)
    m.set('id-1000', seen(1000))
    expect(m.recent('id-1000')).toBeDefined()
    expect(m.wholeCount).toBe(1)
  })

  it('says when a hashed ID came, to a 32,768th of its generation\'s span, also one received out of order (a release)', () => {
    const window = 7 * 86_400_000 // the default: a step of 1,846 ms
    const m = new DedupeMemory(window, 2)
    const t0 = 1_780_000_000_000
    m.set('a', seen(t0))
    m.set('b', seen(t0 + 3_600_000))
    m.set('a', seen(t0 + 7_200_000)) // released: received again
    for (let i = 0; i < 4; i++) m.set(`later-${i}`, seen(t0 + 8_000_000 + i))
    expect(m.get('b')).toBe('maybe')
    const [b] = m.times('b')
    expect(b![0]).toBeLessThanOrEqual(t0 + 3_600_000)
    expect(b![1]).toBeGreaterThan(t0 + 3_600_000)
    expect(b![1] - b![0]).toBe(1_846)
    const a = m.times('a')
    expect(a.some(([f, t]) => f <= t0 + 7_200_000 && t0 + 7_200_000 < t)).toBe(true)
    expect(m.times('never')).toEqual([])
  })

  it('the hashed part grows past its first table and finds every ID; about 20-40 bytes per message (the hash and its time)', () => {
    const m = new DedupeMemory(1e12, 16)
    const n = 100_000
    for (let i = 0; i < n; i++) m.set(`90-B3-D5-1F-30-01-00-00:90-B3-D5-1F-30-10-00-00:${1_000_000 + i}@2026-12-05T05:00:00.000Z`, seen(1000))
    for (let i = 0; i < n; i++) expect(m.get(`90-B3-D5-1F-30-01-00-00:90-B3-D5-1F-30-10-00-00:${1_000_000 + i}@2026-12-05T05:00:00.000Z`)).not.toBeUndefined()
    let misses = 0
    for (let i = 0; i < n; i++) if (m.get(`90-B3-D5-1F-30-01-00-00:90-B3-D5-1F-30-10-00-00:${2_000_000 + i}@2026-12-05T05:00:00.000Z`) !== undefined) misses++
    expect(misses).toBe(0)
    expect(m.hashedBytes / n).toBeGreaterThanOrEqual(20)
    expect(m.hashedBytes / n).toBeLessThanOrEqual(40)
  })

  it('hash52 is a non-zero integer below 2^53 and spreads near IDs', () => {
    // one expect over all of them: 200,000 expect calls took 1.7 s alone (0.17 s now) and the test failed
    // in a parallel run on a loaded machine (5 s test timeout)
    const seenHashes = new Set<number>()
    const bad: number[] = []
    for (let i = 0; i < 200_000; i++) {
      const h = hash52(`sha256:${i.toString(16).padStart(64, '0')}`)
      if (!(Number.isSafeInteger(h) && h > 0)) bad.push(h)
      seenHashes.add(h)
    }
    expect(bad).toEqual([])
    expect(seenHashes.size).toBe(200_000)
    expect(hash52('')).toBeGreaterThan(0)
  })
})
