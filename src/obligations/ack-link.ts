import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DAY_MS } from './days.js'

// Signed acknowledgement links (docs/obligations.md): `<publicUrl>/obligations/ack?token=<id>.<exp>.<sig>`.
// sig = HMAC-SHA256(secret, "ack:<id>:<exp>") in base64url; exp = epoch seconds. The link needs
// no bearer token: holding it is the authority, so it names one obligation and expires
// `ttlDays` after the acknowledgement deadline of the notice that carried it.

export const ACK_PATH = '/obligations/ack'
const KEY_FILE = 'ack-link.key'
const TOKEN = /^([0-9a-f-]{36})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/

export type AckTokenCheck = { ok: true; obligationId: string; expiresAt: number } | { ok: false; why: 'invalid' | 'expired' }

export interface AckLinks {
  /** token for an obligation whose current deadline is `dueAt` */
  token(obligationId: string, dueAt: number): string
  url(obligationId: string, dueAt: number): string
  verify(token: string, now: number): AckTokenCheck
}

export function createAckLinks(secret: Buffer, baseUrl: () => string, ttlDays: number): AckLinks {
  const sign = (id: string, exp: number) => createHmac('sha256', secret).update(`ack:${id}:${exp}`).digest('base64url')
  const token = (id: string, dueAt: number) => {
    const exp = Math.ceil((dueAt + ttlDays * DAY_MS) / 1000)
    return `${id}.${exp}.${sign(id, exp)}`
  }
  return {
    token,
    url: (id, dueAt) => `${baseUrl().replace(/\/+$/, '')}${ACK_PATH}?token=${token(id, dueAt)}`,
    verify(t, now) {
      const m = TOKEN.exec(t)
      if (m === null) return { ok: false, why: 'invalid' }
      const [, id, expText, sig] = m
      const exp = Number(expText)
      const want = Buffer.from(sign(id!, exp))
      const got = Buffer.from(sig!)
      if (got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, why: 'invalid' }
      if (exp * 1000 <= now) return { ok: false, why: 'expired' }
      return { ok: true, obligationId: id!, expiresAt: exp * 1000 }
    },
  }
}

/**
 * The HMAC secret: `obligations.ackSecret` when set, else `<store.path>/ack-link.key`, created
 * once with 32 random bytes (mode 0600) so that links survive restarts.
 */
export function loadAckSecret(configured: string, storePath: string): Buffer {
  if (configured !== '') return Buffer.from(configured, 'utf8')
  const file = join(storePath, KEY_FILE)
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  mkdirSync(storePath, { recursive: true })
  try {
    writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err // another process won the race
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex')
}
