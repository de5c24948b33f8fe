import { describe, expect, it } from 'vitest'
import { adminCredentials } from '../admin/index.js'
import { csrfMatches, SessionStore } from './session.js'

const [alice] = adminCredentials({ token: '', tokens: [{ name: 'alice', token: 'alice-secret-0123456789', role: 'viewer' }] })

describe('console sessions', () => {
  it('a session slides while used and ends after the idle time', () => {
    let t = 1_000_000
    const store = new SessionStore(30 * 60_000, () => t)
    const s = store.create(alice!)
    expect(s).toMatchObject({ name: 'alice', role: 'viewer' })
    t += 29 * 60_000
    expect(store.get(s.id)).toBe(s)
    t += 29 * 60_000 // 58 min after sign-in, 29 min after the last request
    expect(store.get(s.id)).toBe(s)
    t += 30 * 60_000 + 1
    expect(store.get(s.id)).toBeUndefined()
    expect(store.size).toBe(0)
  })

  it('ends after the maximum age whatever the activity', () => {
    let t = 0
    const store = new SessionStore(60 * 60_000, () => t, 2 * 60 * 60_000)
    const s = store.create(alice!)
    for (let i = 0; i < 4; i++) (t += 30 * 60_000), expect(store.get(s.id)).toBe(s)
    t += 1
    expect(store.get(s.id)).toBeUndefined()
  })

  it('ids and CSRF tokens are random and distinct; unknown ids and sign-out end nothing else', () => {
    const store = new SessionStore(60_000, () => 0)
    const a = store.create(alice!)
    const b = store.create(alice!)
    expect(new Set([a.id, b.id, a.csrf, b.csrf]).size).toBe(4)
    expect(a.id).toMatch(/^[\w-]{43}$/)
    expect(store.get('nope')).toBeUndefined()
    store.end(a.id)
    expect(store.get(a.id)).toBeUndefined()
    expect(store.get(b.id)).toBe(b)
  })

  it('CSRF: only the session own token matches', () => {
    const store = new SessionStore(60_000, () => 0)
    const a = store.create(alice!)
    const b = store.create(alice!)
    expect(csrfMatches(a, a.csrf)).toBe(true)
    expect(csrfMatches(a, b.csrf)).toBe(false)
    expect(csrfMatches(a, '')).toBe(false)
    expect(csrfMatches(a, null)).toBe(false)
  })
})
