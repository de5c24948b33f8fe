// Worker-thread entry of loadRegistry (load.ts): builds the index here, posts its snapshot (the
// typed arrays live in SharedArrayBuffers, so the post shares them instead of copying) and exits.
// Everything else the build allocated (staging columns, sort scratch, this thread's heap) is
// freed with the thread, so the gateway's RSS after a load is the index, not the build.
import { parentPort, workerData } from 'node:worker_threads'
import { RegistryLoadError } from './errors.js'
import { loadRegistryHere, type RegistryPaths } from './load-here.js'
import type { LoadProgress } from './report.js'

export interface LoadWorkerData {
  paths: RegistryPaths
  maxRejectRatio: number
  progress: boolean
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
  const { index, report } = await loadRegistryHere(data.paths, {
    maxRejectRatio: data.maxRejectRatio, ...(data.progress && { onProgress }),
  })
  port.postMessage({ snapshot: index.toShared(), report })
} catch (err) {
  const e = err as Error
  port.postMessage({
    error: err instanceof RegistryLoadError
      ? { code: err.code, file: err.file, detail: err.detail, reasons: err.reasons }
      : { message: e.message ?? String(err) },
  })
}
