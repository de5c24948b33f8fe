import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * Bearer-token check (contract §8): 401 without credentials, 403 with wrong ones. Both sides are
 * hashed first so the comparison is constant-time whatever the lengths.
 */
export function checkBearer(header: string | undefined, token: string): 'ok' | 'missing' | 'wrong' {
  if (header === undefined || !/^Bearer\s+\S/i.test(header)) return 'missing'
  if (token === '') return 'wrong'
  const given = createHash('sha256').update(header.replace(/^Bearer\s+/i, '')).digest()
  const expected = createHash('sha256').update(token).digest()
  return timingSafeEqual(given, expected) ? 'ok' : 'wrong'
}
