import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Html } from './html.js'

// Response headers of every console answer. No inline script or style anywhere: the CSP allows
// only the gateway's own stylesheet and script (assets/console/), forms posting back to the
// gateway, and no framing.
export const CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "script-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ')

const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
}

export const COOKIE = 'dccgw_console'

export function sendPage(res: ServerResponse, status: number, page: Html, headers: Record<string, string | string[]> = {}): void {
  const body = Buffer.from(page.text)
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-length': body.byteLength, ...headers })
  res.end(body)
}

export function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { ...SECURITY_HEADERS, location, 'content-length': 0, ...headers })
  res.end()
}

export function sendText(res: ServerResponse, status: number, contentType: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  const b = typeof body === 'string' ? Buffer.from(body) : body
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': contentType, 'content-length': b.byteLength, ...headers })
  res.end(b)
}

export function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=')
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim()
  }
  return undefined
}

/** HttpOnly, SameSite=Strict, scoped to /console, Secure under TLS; Max-Age 0 clears it. */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${COOKIE}=${value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`
}

const MAX_FORM_BYTES = 16 * 1024

/** A form-encoded body (at most 16 KiB), or undefined when too large or not form-encoded. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') return (req.resume(), undefined)
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length
    if (size > MAX_FORM_BYTES) return undefined
    chunks.push(c)
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
}

/**
 * A cross-site request (another site's form posting to the console) is refused before anything
 * else: the browser says where a request comes from in Sec-Fetch-Site and Origin. SameSite=Strict
 * already keeps the session cookie off such a request, and the CSRF token is checked as well.
 */
export function crossSite(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site']
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true
  const origin = req.headers.origin
  if (origin === undefined) return false
  if (origin === 'null') return true
  try {
    return new URL(origin).host !== req.headers.host
  } catch {
    return true
  }
}
