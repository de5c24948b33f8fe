import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { AdminRole, Credential } from '../admin/index.js'

// Console sessions, held in memory (a restart signs everyone out; each instance of a cluster has
// its own). A session ends after `idleMs` without a request and `maxMs` after sign-in whatever
// happens. Each carries its own CSRF token: every state-changing form sends it back.

export interface Session {
  readonly id: string
  readonly name: string
  readonly role: AdminRole
  readonly csrf: string
  readonly createdAt: number
  lastSeen: number
  /** one message for the next page (post/redirect/get) */
  flash?: { kind: 'ok' | 'error'; text: string }
}

export const SESSION_MAX_MS = 12 * 3_600_000
/** more signed-in sessions than this and the least recently used ones are ended */
const MAX_SESSIONS = 1000

const token = () => randomBytes(32).toString('base64url')

export class SessionStore {
  readonly #sessions = new Map<string, Session>()

  constructor(
    readonly idleMs: number,
    readonly now: () => number,
    readonly maxMs = SESSION_MAX_MS,
  ) {}

  create(c: Credential): Session {
    const t = this.now()
    const s: Session = { id: token(), name: c.name, role: c.role, csrf: token(), createdAt: t, lastSeen: t }
    this.#sessions.set(s.id, s)
    for (const [id] of this.#sessions) {
      if (this.#sessions.size <= MAX_SESSIONS) break
      this.#sessions.delete(id) // Map order = least recently touched first (touch re-inserts)
    }
    return s
  }

  /** The live session with this id (sliding its idle expiry), or undefined. */
  get(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined
    const s = this.#sessions.get(id)
    if (s === undefined) return undefined
    const t = this.now()
    if (t - s.lastSeen > this.idleMs || t - s.createdAt > this.maxMs) {
      this.#sessions.delete(id)
      return undefined
    }
    s.lastSeen = t
    this.#sessions.delete(id)
    this.#sessions.set(id, s)
    return s
  }

  end(id: string): void {
    this.#sessions.delete(id)
  }

  get size(): number {
    return this.#sessions.size
  }
}

/** Constant-time comparison of the form's CSRF token with the session's. */
export function csrfMatches(s: Session, given: string | null | undefined): boolean {
  if (typeof given !== 'string') return false
  const a = Buffer.from(s.csrf)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}
