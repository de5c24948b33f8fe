// Worker-thread entry of loadRegistry (load.ts): builds the index here (or reads a compiled
// snapshot), posts it (the typed arrays live in SharedArrayBuffers, so the post shares them instead
// of copying), then, after a build from files, compiles it into a snapshot for the next start
// (docs/registry.md) while the gateway already serves on it, and exits. Everything else the build
// allocated is freed with the thread, so the gateway's RSS after a load is the index, not the build.
// A build from the files asks load.ts for parties.yaml (`{ needParties: true }`, answered with
// `{ parties }`): load.ts has it read by this file started with `{ partiesOf: FILE }`, which only
// reads and checks it, posts it and exits; so the load worker never loads the YAML parser and the
// schema validator, and the calling thread's event loop does no parsing.
import { parentPort, workerData } from 'node:worker_threads'
import { postedLoadError } from './errors.js'
import { fullCollection } from './full-collection.js'
import { loadRegistryHere, readParties, writeSnapshotOf, type LoadOptions, type PartiesRead, type RegistryPaths } from './load-here.js'
import type { LoadProgress } from './report.js'

export interface LoadWorkerData {
  paths: RegistryPaths
  maxRejectRatio: number
  progress: boolean
  snapshots?: LoadOptions['snapshots']
  partitionBits?: number
}

/** workerData of a parties-only worker (load.ts): reads and checks parties.yaml, posts `{ parties }` or `{}` */
export interface PartiesWorkerData {
  partiesOf: string
}

const data = workerData as LoadWorkerData | PartiesWorkerData
const port = parentPort!
let last = 0
const onProgress = (p: LoadProgress) => {
  const now = Date.now()
  if (now - last < 100 && p.bytes < p.totalBytes) return
  last = now
  port.postMessage({ progress: p })
}
/** parties.yaml from load.ts (a parties-only worker read it), undefined when it could not be read */
function askParties(): Promise<PartiesRead | undefined> {
  return new Promise((resolve) => {
    port.once('message', (m: { parties?: PartiesRead }) => resolve(m.parties))
    port.postMessage({ needParties: true })
  })
}

if ('partiesOf' in data) {
  port.postMessage(await readParties(data.partiesOf).then((parties) => ({ parties }), () => ({})))
} else {
  try {
    const collect = fullCollection()
    const opts: LoadOptions = {
      maxRejectRatio: data.maxRejectRatio, ...(data.progress && { onProgress }), ...(data.snapshots && { snapshots: data.snapshots }),
      ...(data.partitionBits !== undefined && { partitionBits: data.partitionBits }), parties: askParties,
      ...(collect && { collect }),
    }
    const result = await loadRegistryHere(data.paths, opts)
    port.postMessage({ snapshot: result.index.toShared(), report: result.report })
    port.postMessage({ written: writeSnapshotOf(result, opts) })
  } catch (err) {
    port.postMessage({ error: postedLoadError(err) })
  }
}
