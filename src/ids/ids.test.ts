import { describe, expect, it, vi } from 'vitest'
import { newId } from './index.js'

describe('newId', () => {
  it('is a UUID version 7: unique, and IDs minted later sort later (also across milliseconds)', () => {
    const ids: string[] = []
    for (let i = 0; i < 5_000; i++) ids.push(newId())
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(new Set(ids).size).toBe(ids.length)
    expect([...ids].sort()).toEqual(ids)
    vi.useFakeTimers({ now: Date.UTC(2030, 0, 1, 0, 0, 0) }) // after any real time this process has minted at
    try {
      const first = newId()
      vi.setSystemTime(Date.UTC(2030, 0, 1, 0, 0, 1))
      const second = newId()
      expect(first < second).toBe(true)
      // the first 48 bits are the time: a second apart, they differ there
      expect(parseInt(second.replace(/-/g, '').slice(0, 12), 16) - parseInt(first.replace(/-/g, '').slice(0, 12), 16)).toBe(1000)
    } finally {
      vi.useRealTimers()
    }
  })
})
