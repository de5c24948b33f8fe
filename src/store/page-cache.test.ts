// store.pageCacheMiB: SQLite's page cache on each connection to gateway.db. better-sqlite3's own
// default (16 MB) filled on each connection as the database grew, which the soak saw as RSS
// growing with the data folder (docs/operations.md, the soak).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { JournaledStore } from './journaled-store.js'
import { DEFAULT_PAGE_CACHE_MIB, pageCacheKiB } from './page-cache.js'
import { SqliteStore } from './sqlite-store.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'dccgw-cache-'))
  dirs.push(d)
  return d
}

describe('the page cache of a connection to gateway.db', () => {
  it('is 4 MiB unless store.pageCacheMiB says otherwise, not the 16 MB better-sqlite3 is built with', async () => {
    expect(DEFAULT_PAGE_CACHE_MIB).toBe(4)
    const a = new SqliteStore({ path: dir(), commitIntervalMs: 0, commitBatch: 16, synchronous: 'NORMAL' })
    const b = new SqliteStore({ path: dir(), commitIntervalMs: 0, commitBatch: 16, synchronous: 'NORMAL', pageCacheMiB: 3 })
    try {
      expect(pageCacheKiB(a.db)).toBe(4 * 1024)
      expect(pageCacheKiB(b.db)).toBe(3 * 1024)
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('is the one the journaled store projects on (here from source: the main connection)', async () => {
    const s = await JournaledStore.open({ path: dir(), commitIntervalMs: 0, commitBatch: 16, synchronous: 'NORMAL', pageCacheMiB: 2 })
    try {
      expect(s.projectionThreaded).toBe(false)
      expect(await s.projectionPageCacheKiB()).toBe(2 * 1024)
    } finally {
      await s.close()
    }
  })
})
