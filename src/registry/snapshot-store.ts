// The snapshot folder (registry.snapshotDir): compiled indexes named by creation time, newest
// first. A load takes the newest snapshot whose sources are unchanged; a refused one (corrupt,
// truncated, stale) is reported with the reason and the next older one is tried, then the files.
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { readSnapshotFile, SnapshotError, writeSnapshotFile, type SnapshotHeader } from './snapshot-file.js'
import { sourceChanged, type SourceStamp } from './sources.js'
import { INDEX_LAYOUT, type RegistrySnapshot } from './registry-index.js'

export interface SnapshotOptions {
  /** folder holding the snapshots */
  dir: string
  /** snapshots kept after a write (the newest ones) */
  keep: number
}

export interface RefusedSnapshot {
  file: string
  reason: string
}

const NAME = /^registry-\d{8}T\d{9}Z(-\d+)?\.snap$/

/** Snapshot files in the folder, newest first. */
export function listSnapshots(dir: string): string[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  return names.filter((n) => NAME.test(n)).sort().reverse().map((n) => join(dir, n))
}

/**
 * The newest snapshot in `o.dir` built from exactly these source files (size, mtime, CRC-32),
 * read into shared memory; undefined when there is none. Every snapshot tried and refused is
 * pushed to `refused` with its reason.
 */
export async function loadNewestSnapshot(
  o: SnapshotOptions,
  sources: Record<string, string>,
  layout: string,
  refused: RefusedSnapshot[],
): Promise<{ snapshot: RegistrySnapshot; header: SnapshotHeader; file: string } | undefined> {
  for (const file of listSnapshots(o.dir)) {
    try {
      const { snapshot, header } = await readSnapshotFile(file, layout, async (h) => {
        const missing = Object.keys(sources).find((r) => !h.sources.some((s) => s.role === r))
        if (missing) throw new SnapshotError(file, 'stale', `no record of its ${missing} source`)
        for (const s of h.sources) {
          const p = sources[s.role]
          if (p === undefined) throw new SnapshotError(file, 'stale', `built from a ${s.role} file this configuration does not name`)
          const why = await sourceChanged(s, p)
          if (why) throw new SnapshotError(file, 'stale', why)
        }
      })
      return { snapshot, header, file }
    } catch (err) {
      if (!(err instanceof SnapshotError)) throw err
      refused.push({ file, reason: `${err.kind}: ${err.detail}` })
    }
  }
  return undefined
}

/** Snapshot of an index without an overlay (compact it first): its sources and folded deltas. */
export function saveIndexSnapshot(o: SnapshotOptions, s: RegistrySnapshot): { file: string; bytes: number; ms: number } {
  if (s.overlay && (s.overlay.mpxns.length > 0 || s.overlay.devices.length > 0)) throw new Error('an index with a delta overlay is compacted before it is written')
  if (!s.sources) throw new Error('the index does not record its source files')
  return saveSnapshot(o, s, { layout: INDEX_LAYOUT, sources: s.sources, deltas: s.baked ?? [] })
}

let seq = 0
/** Writes a new snapshot into the folder and removes all but the newest `keep`. */
export function saveSnapshot(
  o: SnapshotOptions,
  s: RegistrySnapshot,
  meta: { layout: string; sources: SourceStamp[]; deltas: SnapshotHeader['deltas'] },
): { file: string; bytes: number; ms: number } {
  const t0 = performance.now()
  mkdirSync(o.dir, { recursive: true })
  const stamp = new Date().toISOString().replace(/[-:.]/g, '') // 20261204T235901123Z: sorts by time
  const file = join(o.dir, `registry-${stamp}-${process.pid}${seq++}.snap`)
  const h = writeSnapshotFile(file, s, meta)
  for (const old of listSnapshots(o.dir).slice(Math.max(1, o.keep))) rmSync(old, { force: true })
  return { file, bytes: h.fileBytes, ms: performance.now() - t0 }
}
