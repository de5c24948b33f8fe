// loadRegistry: the registry loader the gateway and the CLI call. It runs loadRegistryHere
// (load-here.ts) in a worker thread when the compiled worker is there (dist/), so that
//  - a reload never blocks the event loop: the main thread only adopts the finished snapshot
//    (the swap pause measured in bench/registry.bench.ts is this adoption, well under 1 ms);
//  - the build's temporary memory (staging columns, sort scratch: ~2x the index) leaves with the
//    thread instead of staying in the gateway's heap and RSS.
// Elsewhere (unit tests from source) it loads on the calling thread. Same result either way.
import { Worker } from 'node:worker_threads'
import { workerBeside } from '../threads/index.js'
import { postedLoadErrorToError, type PostedLoadError } from './errors.js'
import { loadRegistryHere, writeSnapshotOf, type LoadOptions, type PartiesRead, type RegistryPaths, type SnapshotWrite } from './load-here.js'
import type { LoadWorkerData, PartiesWorkerData } from './load-worker.js'
import { CompactRegistry, type RegistrySnapshot } from './registry-index.js'
import type { LoadProgress, LoadReport } from './report.js'

export type { LoadOptions, RegistryPaths, SnapshotWrite } from './load-here.js'
export { loadRegistryHere } from './load-here.js'

/**
 * The young generation (MB) of the registry's build threads (load, parties, compaction): their work
 * is in typed arrays, and Node's default semispaces would add tens of MB of RSS beside the two
 * indexes a reload or a compaction holds (docs/registry.md, "Peak memory").
 */
export const YOUNG_MB = 4

type WorkerReply =
  | { progress: LoadProgress }
  | { needParties: true }
  | { snapshot: RegistrySnapshot; report: LoadReport }
  | { written: SnapshotWrite }
  | { error: PostedLoadError }

/** The load options of the configuration's registry section (snapshots per registry.snapshots). */
export function loadOptionsOf(r: { maxRejectRatio: number; snapshots: boolean; snapshotDir: string; snapshotsKept: number }): LoadOptions {
  return { maxRejectRatio: r.maxRejectRatio, ...(r.snapshots && { snapshots: { dir: r.snapshotDir, keep: r.snapshotsKept } }) }
}

export interface Loaded {
  index: CompactRegistry
  report: LoadReport
  /**
   * After a build from files: the snapshot compiled for the next start, written after the index
   * is handed over (the caller need not wait for it). Never rejects.
   */
  snapshotWritten: Promise<SnapshotWrite>
}

/** parties.yaml read and checked by a parties-only load worker; undefined when it could not be (the load worker then says why). */
function partiesInWorker(url: URL, file: string): Promise<PartiesRead | undefined> {
  const data: PartiesWorkerData = { partiesOf: file }
  let worker: Worker
  try {
    worker = new Worker(url, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MB } })
  } catch {
    return Promise.resolve(undefined) // no thread to spare: the load worker reads it itself
  }
  let got: PartiesRead | undefined
  return new Promise((resolve) => {
    worker.on('message', (m: { parties?: PartiesRead }) => (got = m.parties))
    worker.on('error', () => (got = undefined))
    worker.on('exit', () => resolve(got)) // after the thread is gone: its memory with it
  })
}

export async function loadRegistry(paths: RegistryPaths, opts: LoadOptions): Promise<Loaded> {
  const url = opts.inThread ? undefined : workerBeside(import.meta.url, './load-worker.js')
  if (!url) {
    const r = await loadRegistryHere(paths, opts)
    return { index: r.index, report: r.report, snapshotWritten: Promise.resolve(writeSnapshotOf(r, opts)) }
  }
  const data: LoadWorkerData = {
    paths, maxRejectRatio: opts.maxRejectRatio, progress: opts.onProgress !== undefined, ...(opts.snapshots && { snapshots: opts.snapshots }),
    ...(opts.partitionBits !== undefined && { partitionBits: opts.partitionBits }),
  }
  const worker = new Worker(url, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MB } })
  let written: (w: SnapshotWrite) => void = () => {}
  const snapshotWritten = new Promise<SnapshotWrite>((r) => (written = r))
  return new Promise((resolve, reject) => {
    let failure: Error | undefined
    let settled = false
    worker.on('message', (m: WorkerReply) => {
      if ('progress' in m) opts.onProgress?.(m.progress)
      // a build from the files: parties.yaml is read and checked in a worker of its own, which
      // exits before the build goes on (the load worker does not load the YAML parser and the
      // schema validator; this thread's event loop does no parsing: tens of ms, cold). When it
      // fails, the load worker reads it itself and reports why.
      else if ('needParties' in m) void partiesInWorker(url, paths.parties).then((parties) => worker.postMessage({ parties }))
      else if ('snapshot' in m) {
        settled = true
        resolve({ index: CompactRegistry.fromShared(m.snapshot), report: m.report, snapshotWritten })
      } else if ('written' in m) written(m.written)
      else failure = postedLoadErrorToError(m.error, 'registry load')
    })
    worker.on('error', (err) => (failure ??= new Error(`registry load worker failed: ${err.message}`)))
    worker.on('exit', (code) => {
      written({ error: `the load worker exited (code ${code}) before writing a snapshot` })
      if (!settled) reject(failure ?? new Error(`registry load worker exited with code ${code} and no result`))
    })
  })
}
