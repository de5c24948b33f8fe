// The delta folder (registry.deltaDir; docs/registry.md, "Delta updates"). Delta files dropped into it are applied in name
// order; POST /admin/registry/apply-delta adds one. Every applied delta is kept under applied/
// (named <time>-<name>, so name order is apply order): after a restart or a full reload the index
// is brought up to date by applying the kept deltas it does not hold yet. A kept delta older than
// the newest registry source file is taken as included in that file (a new full extract replaces
// the day's deltas). A delta dropped in the folder that is refused goes to rejected/, with the
// reasons beside it in <name>.reason.txt.
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { basename, join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { workerBeside } from '../threads/index.js'
import { applyDelta, DeltaError, type DeltaSummary } from './delta.js'
import { compactSnapshot } from './compact.js'
import { YOUNG_MB } from './load.js'
import type { CompactRegistry, RegistrySnapshot } from './registry-index.js'
import { saveIndexSnapshot, type SnapshotOptions } from './snapshot-store.js'

const stamp = () => new Date().toISOString().replace(/[-:.]/g, '')
const safeName = (n: string) => basename(n).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || 'delta.csv'

export class DeltaFolder {
  readonly applied: string
  readonly rejected: string
  constructor(readonly dir: string) {
    this.applied = join(dir, 'applied')
    this.rejected = join(dir, 'rejected')
  }

  /** Kept deltas `index` does not hold yet, in apply order. */
  pending(index: CompactRegistry): string[] {
    const s = index.toShared()
    const held = new Set([...(s.baked ?? []), ...(s.overlay?.deltas ?? [])].map((d) => d.name))
    const newestSource = Math.max(0, ...(s.sources ?? []).map((x) => x.mtimeMs))
    let names: string[]
    try {
      names = readdirSync(this.applied).filter((n) => n.endsWith('.csv')).sort()
    } catch {
      return []
    }
    return names.filter((n) => !held.has(n) && statSync(join(this.applied, n)).mtimeMs > newestSource)
  }

  /** Applies the pending kept deltas; a kept delta that no longer applies is skipped and reported. */
  async catchUp(index: CompactRegistry): Promise<{ index: CompactRegistry; applied: DeltaSummary[]; failed: { name: string; error: string }[] }> {
    const applied: DeltaSummary[] = []
    const failed: { name: string; error: string }[] = []
    for (const name of this.pending(index)) {
      try {
        const r = await applyDelta(index, name, readFileSync(join(this.applied, name)))
        index = r.index
        applied.push(r.summary)
      } catch (err) {
        failed.push({ name, error: (err as Error).message })
      }
    }
    return { index, applied, failed }
  }

  /**
   * Applies `bytes` as a new delta and keeps it under applied/ (fsync'd) before returning: the
   * caller swaps the index in after that, so an applied delta is never lost to a crash.
   */
  async apply(index: CompactRegistry, name: string, bytes: Buffer): Promise<{ index: CompactRegistry; summary: DeltaSummary }> {
    const kept = `${stamp()}-${safeName(name)}${name.endsWith('.csv') ? '' : '.csv'}`
    const r = await applyDelta(index, kept, bytes)
    mkdirSync(this.applied, { recursive: true })
    const tmp = join(this.applied, `.${kept}.tmp`)
    const fd = openSync(tmp, 'w', 0o640)
    try {
      writeSync(fd, bytes)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, join(this.applied, kept))
    return r
  }

  /** Delta files dropped into the folder (`*.csv`, name order): applied, or moved to rejected/. */
  async scan(index: CompactRegistry): Promise<{ index: CompactRegistry; applied: DeltaSummary[]; rejected: { name: string; reason: string }[] }> {
    const applied: DeltaSummary[] = []
    const rejected: { name: string; reason: string }[] = []
    let names: string[]
    try {
      names = readdirSync(this.dir, { withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.csv')).map((e) => e.name).sort()
    } catch {
      return { index, applied, rejected }
    }
    for (const name of names) {
      const path = join(this.dir, name)
      const bytes = readFileSync(path)
      try {
        const r = await this.apply(index, name, bytes)
        index = r.index
        applied.push(r.summary)
        rmSync(path) // apply kept its copy under applied/
      } catch (err) {
        const reason = err instanceof DeltaError ? err.message : `${(err as Error).message}`
        mkdirSync(this.rejected, { recursive: true })
        const to = join(this.rejected, `${stamp()}-${safeName(name)}`)
        renameSync(path, to)
        writeFileSync(`${to}.reason.txt`, reason + '\n')
        rejected.push({ name, reason })
      }
    }
    return { index, applied, rejected }
  }
}

export type CompactResult = { snapshot: RegistrySnapshot; written: { file: string } | { error: string } | { skipped: string } }

/**
 * Folds `index`'s overlay into new tables in a worker thread (the tables are shared, not copied)
 * and writes them as a snapshot when `snapshots` is set. Inline when the compiled worker is absent.
 */
export async function compactIndex(index: CompactRegistry, snapshots: SnapshotOptions | undefined): Promise<CompactResult> {
  const url = workerBeside(import.meta.url, './compact-worker.js')
  if (!url) {
    const snapshot = compactSnapshot(index.toShared())
    return { snapshot, written: writeCompacted(snapshot, snapshots) }
  }
  const worker = new Worker(url, { workerData: { snapshot: index.toShared(), snapshots }, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MB } })
  return new Promise((resolve, reject) => {
    let result: CompactResult | undefined
    worker.on('message', (m: CompactResult | { error: string }) => {
      if ('snapshot' in m) result = m
      else reject(new Error(`registry compaction failed: ${m.error}`))
    })
    worker.on('error', reject)
    worker.on('exit', (code) => (result ? resolve(result) : reject(new Error(`registry compaction worker exited with code ${code}`))))
  })
}

export function writeCompacted(snapshot: RegistrySnapshot, snapshots: SnapshotOptions | undefined): CompactResult['written'] {
  if (!snapshots) return { skipped: 'snapshots are off' }
  try {
    return saveIndexSnapshot(snapshots, snapshot)
  } catch (err) {
    return { error: (err as Error).message }
  }
}

