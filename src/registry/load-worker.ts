// Worker-thread entry of loadRegistry (load.ts): builds the index here (or reads a compiled
// snapshot), posts it (the typed arrays live in SharedArrayBuffers, so the post shares them instead
// of copying), then, after a build from files, compiles it into a snapshot for the next start
// (docs/registry.md) while the gateway already serves on it, and exits. Everything else the build
// allocated is freed with the thread, so the gateway's RSS after a load is the index, not the build.
import { parentPort, workerData } from 'node:worker_threads'
import { postedLoadError } from './errors.js'
import { fullCollection } from './full-collection.js'
import { loadRegistryHere, writeSnapshotOf, type LoadOptions, type PartiesRead, type RegistryPaths } from './load-here.js'
import type { LoadProgress } from './report.js'

export interface LoadWorkerData {
  paths: RegistryPaths
  maxRejectRatio: number
  progress: boolean
  snapshots?: LoadOptions['snapshots']
  partitionBits?: number
  /** parties.yaml as the starting thread read it (load.ts) */
  parties?: PartiesRead
}

const data = workerData as LoadWorkerData
const port = parentPort!
let last = 0
const onProgress = (p: LoadProgress) => {
  const now = Date.now()
  if (now - last < 100 && p.bytes < p.totalBytes) return
  last = now
  port.postMessage({ progress: p })
}
try {
  const collect = fullCollection()
  const opts: LoadOptions = {
    maxRejectRatio: data.maxRejectRatio, ...(data.progress && { onProgress }), ...(data.snapshots && { snapshots: data.snapshots }),
    ...(data.partitionBits !== undefined && { partitionBits: data.partitionBits }), ...(data.parties && { parties: data.parties }),
    ...(collect && { collect }),
  }
  const result = await loadRegistryHere(data.paths, opts)
  port.postMessage({ snapshot: result.index.toShared(), report: result.report })
  port.postMessage({ written: writeSnapshotOf(result, opts) })
} catch (err) {
  port.postMessage({ error: postedLoadError(err) })
}
