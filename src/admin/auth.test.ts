import { describe, expect, it } from 'vitest'
import { adminCredentials, authenticateBearer, checkBearer, isReadOnlyMethod, matchCredential } from './auth.js'

const creds = adminCredentials({
  token: 'legacy-secret',
  tokens: [
    { name: 'alice', token: 'alice-secret-0123456789', role: 'operator' },
    { name: 'victor', token: 'victor-secret-0123456789', role: 'viewer' },
  ],
})

describe('admin credentials (admin.token and admin.tokens)', () => {
  it('the single admin.token is one operator named admin', () => {
    expect(creds.map((c) => [c.name, c.role])).toEqual([['admin', 'operator'], ['alice', 'operator'], ['victor', 'viewer']])
    expect(checkBearer('Bearer legacy-secret', 'legacy-secret')).toBe('ok')
  })

  it('finds the credential a token belongs to, and none for a wrong or empty one', () => {
    expect(matchCredential('victor-secret-0123456789', creds)?.name).toBe('victor')
    expect(matchCredential('alice-secret-0123456789', creds)?.role).toBe('operator')
    expect(matchCredential('victor-secret-012345678', creds)).toBeUndefined()
    expect(matchCredential('', adminCredentials({ token: '' }))).toBeUndefined()
  })

  it('bearer: missing (401), wrong (403), or the credential', () => {
    expect(authenticateBearer(undefined, creds)).toBe('missing')
    expect(authenticateBearer('Basic abc', creds)).toBe('missing')
    expect(authenticateBearer('Bearer nope', creds)).toBe('wrong')
    expect(authenticateBearer('bearer  legacy-secret', creds)).toMatchObject({ name: 'admin' })
    // no credentials configured: every token is wrong
    expect(authenticateBearer('Bearer anything', [])).toBe('wrong')
  })

  it('only GET and HEAD are read-only', () => {
    expect(['GET', 'HEAD'].every(isReadOnlyMethod)).toBe(true)
    expect(['POST', 'DELETE', 'PUT', 'PATCH', undefined].some((m) => isReadOnlyMethod(m))).toBe(false)
  })
})
