import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { cookieValue, crossSite, sessionCookie } from './http.js'

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage

describe('console HTTP helpers', () => {
  it('the session cookie is HttpOnly, SameSite=Strict, scoped to /console, expiring, and Secure under TLS', () => {
    expect(sessionCookie('abc', 1800, false)).toBe('dccgw_console=abc; Path=/console; HttpOnly; SameSite=Strict; Max-Age=1800')
    expect(sessionCookie('abc', 1800, true)).toBe('dccgw_console=abc; Path=/console; HttpOnly; SameSite=Strict; Max-Age=1800; Secure')
    expect(sessionCookie('', 0, true)).toMatch(/^dccgw_console=; .*Max-Age=0; Secure$/)
  })

  it('reads one cookie among several', () => {
    expect(cookieValue(req({ cookie: 'a=1; dccgw_console=xyz; b=2' }), 'dccgw_console')).toBe('xyz')
    expect(cookieValue(req({ cookie: 'xdccgw_console=no' }), 'dccgw_console')).toBeUndefined()
    expect(cookieValue(req({}), 'dccgw_console')).toBeUndefined()
  })

  it('a request from another origin or site is cross-site; same-origin, a typed address and old clients are not', () => {
    const host = { host: 'gw.example:8080' }
    expect(crossSite(req({ ...host, 'sec-fetch-site': 'cross-site' }))).toBe(true)
    expect(crossSite(req({ ...host, 'sec-fetch-site': 'same-site' }))).toBe(true)
    expect(crossSite(req({ ...host, origin: 'https://evil.example' }))).toBe(true)
    expect(crossSite(req({ ...host, origin: 'null' }))).toBe(true)
    expect(crossSite(req({ ...host, origin: 'http://gw.example:8081' }))).toBe(true)
    expect(crossSite(req({ ...host, 'sec-fetch-site': 'same-origin', origin: 'http://gw.example:8080' }))).toBe(false)
    expect(crossSite(req({ ...host, 'sec-fetch-site': 'none' }))).toBe(false)
    expect(crossSite(req(host))).toBe(false) // curl: no Origin, no Sec-Fetch-Site (the CSRF token still applies)
  })
})
