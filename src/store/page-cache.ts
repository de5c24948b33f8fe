import type { Database } from 'better-sqlite3'

/**
 * SQLite's page cache per connection unless store.pageCacheMiB says otherwise. better-sqlite3 is
 * built with 16 MB (SQLITE_DEFAULT_CACHE_SIZE=-16000), and each connection fills it as
 * gateway.db grows: three connections (main, projection worker, checkpoint worker) grew the
 * gateway's RSS by ~40 MiB between a fresh store and a 1.6 GB one (docs/operations.md, the soak).
 */
export const DEFAULT_PAGE_CACHE_MIB = 4

/** Sets the connection's page cache (a negative cache_size is KiB, not pages). */
export function setPageCache(db: Database, mib: number): void {
  db.pragma(`cache_size = -${mib * 1024}`)
}

/** The connection's page cache in KiB. */
export function pageCacheKiB(db: Database): number {
  return -(db.pragma('cache_size', { simple: true }) as number)
}
