// Shared by the reliability, security and hostile tests (docs/operations.md, "Faults"): documents with known decisions,
// a DCC-like sender that retries until it gets a final answer, and small HTTP helpers.
import { request as httpRequest } from 'node:http'
import { buildDuisDocument } from '../support/duis-builder.js'
import { ACME_USER, waitFor } from './harness.js'

/** Devices of the demo world (examples/demo/devices.csv) and what a critical alert from each gets. */
export const DEVICES = {
  /** ESME on 1200012345679, supplied by ACME: deliver/responsible */
  acme: '00-12-34-56-78-AB-CD-EF',
  /** GSME on 3938424403, ACMG (ACME's gas MPID): deliver/responsible */
  acmeGas: '00-12-34-56-78-AB-CD-F2',
  /** ESME on 1412345678901, BRITE since 2025-03-01: non-critical traffic is dropped */
  stale: '00-12-34-56-78-AB-CD-F0',
  /** not in devices.csv: quarantine/unknown-device */
  unknown: '00-12-34-56-78-AB-CD-99',
} as const

export type Expect = 'deliver' | 'drop' | 'quarantine' | 'malformed'

/** One test message: its bytes and the outcome the gateway must give it. */
export interface TestMessage {
  n: number
  expect: Expect
  body: string
}

/** Message n of a mixed replay: mostly deliveries, some drops, quarantines and malformed. */
export function mixedMessage(n: number): TestMessage {
  const pick = n % 10
  if (pick === 7) return { n, expect: 'drop', body: alert(DEVICES.stale, n, { alertCode: '810D', gbcsCritical: false }) }
  if (pick === 8) return { n, expect: 'quarantine', body: alert(DEVICES.unknown, n) }
  if (pick === 9) return { n, expect: 'malformed', body: alert(DEVICES.acme, n).replace('</sr:Header>', '') }
  return { n, expect: 'deliver', body: alert(pick % 2 === 0 ? DEVICES.acme : DEVICES.acmeGas, n) }
}

/** A device alert from `device` to ACME's import-supplier User ID, counter n (unique ID). */
export function alert(device: string, n: number, extra: { alertCode?: string; gbcsCritical?: boolean } = {}): string {
  return buildDuisDocument({
    kind: 'device_alert', prefix: 'sr', device, counter: n, responseId: `${device}:${ACME_USER}:${n}`,
    responseDateTime: '2025-03-14T08:15:30Z', ...extra,
  })
}

export interface Answer {
  status: number
  json: any
  headers: Record<string, string | string[] | undefined>
}

/**
 * One POST with node:http (no fetch: a 413 for a body still being written must still be read).
 * Resolves with the answer, or status 0 when the connection failed before one arrived.
 */
export function postRaw(url: string, body: Buffer | string, headers: Record<string, string> = {}, timeoutMs = 30_000): Promise<Answer> {
  return new Promise((resolve) => {
    let done = false
    const finish = (a: Answer) => {
      if (!done) (done = true), resolve(a)
    }
    const u = new URL(url)
    const data = typeof body === 'string' ? Buffer.from(body) : body
    const req = httpRequest(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false, timeout: timeoutMs,
        headers: { 'content-type': 'application/xml', 'content-length': String(data.length), ...headers } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        const end = () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let json: unknown
          try {
            json = text ? JSON.parse(text) : undefined
          } catch {
            json = text
          }
          finish({ status: res.statusCode ?? 0, json, headers: res.headers })
        }
        res.on('end', end)
        res.on('error', end)
        res.on('aborted', end)
      },
    )
    req.on('error', () => finish({ status: 0, json: undefined, headers: {} }))
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.end(data)
  })
}

/**
 * Sends like the DCC: retries (connection error, 503) until a final answer (200, 4xx). `url()` is
 * read on every attempt, so the gateway may be restarted on another port meanwhile.
 */
export async function sendUntilFinal(url: () => string, body: string, giveUpMs = 60_000): Promise<Answer & { attempts: number }> {
  let attempts = 0
  return waitFor('a final answer (200 or 4xx)', async () => {
    attempts++
    const a = await postRaw(`${url()}/duis`, body, {}, 10_000)
    return a.status !== 0 && a.status !== 503 && { ...a, attempts }
  }, giveUpMs, 25)
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export const ADMIN = { authorization: 'Bearer test-token' }

export async function adminJson(base: string, path: string, method = 'GET'): Promise<any> {
  const res = await fetch(`${base}${path}`, { method, headers: ADMIN })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`)
  return JSON.parse(text)
}

/** Runs `fn` over `items` with at most `n` at once. */
export async function pool<T, R>(items: readonly T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }))
  return out
}

/** A metric sample's value from Prometheus text, or undefined. */
export function metricValue(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}}` : `${name} `))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}
