import { createHash, timingSafeEqual } from 'node:crypto'

// Admin credentials (`admin`; docs/console.md, "Credentials and roles"): the single `admin.token` is one operator named `admin`;
// `admin.tokens` adds named credentials with a role. A viewer reads everything and changes
// nothing; an operator may also release, delete, acknowledge and reload. The admin API and the
// operator console (src/console) take the same credentials.

export type AdminRole = 'viewer' | 'operator'

export interface Credential {
  /** who holds it: the audit log records this name */
  readonly name: string
  readonly role: AdminRole
  /** sha256 of the secret; the secret itself is not kept here */
  readonly hash: Buffer
}

/** The name under which the single `admin.token` is audited. */
export const LEGACY_TOKEN_NAME = 'admin'

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest()

export function adminCredentials(admin: {
  readonly token: string
  readonly tokens?: readonly { readonly name: string; readonly token: string; readonly role: AdminRole }[]
}): Credential[] {
  const out: Credential[] = []
  if (admin.token !== '') out.push({ name: LEGACY_TOKEN_NAME, role: 'operator', hash: sha256(admin.token) })
  for (const t of admin.tokens ?? []) out.push({ name: t.name, role: t.role, hash: sha256(t.token) })
  return out
}

/**
 * The credential whose secret is `given`, or undefined. Both sides are hashed first and every
 * credential is compared (no early exit), so the time taken says nothing about which one matched
 * or how much of a secret was right.
 */
export function matchCredential(given: string, credentials: readonly Credential[]): Credential | undefined {
  const h = sha256(given)
  let found: Credential | undefined
  for (const c of credentials) if (timingSafeEqual(h, c.hash) && found === undefined) found = c
  return given === '' ? undefined : found
}

/**
 * Bearer-token check (docs/http.md): 401 without credentials, 403 with wrong ones. `credentials`
 * may be a bare token (the single `admin.token`) or the resolved credential list.
 */
export function checkBearer(header: string | undefined, credentials: string | readonly Credential[]): 'ok' | 'missing' | 'wrong' {
  const r = authenticateBearer(header, typeof credentials === 'string' ? adminCredentials({ token: credentials }) : credentials)
  return r === 'missing' || r === 'wrong' ? r : 'ok'
}

/** As checkBearer, returning the matched credential. */
export function authenticateBearer(header: string | undefined, credentials: readonly Credential[]): Credential | 'missing' | 'wrong' {
  if (header === undefined || !/^Bearer\s+\S/i.test(header)) return 'missing'
  return matchCredential(header.replace(/^Bearer\s+/i, ''), credentials) ?? 'wrong'
}

/** Methods that read; anything else changes state and needs the operator role. */
export function isReadOnlyMethod(method: string | undefined): boolean {
  return method === 'GET' || method === 'HEAD'
}
