// loadRegistry: the registry loader the gateway and the CLI call. It runs loadRegistryHere
// (load-here.ts) in a worker thread when the compiled worker is there (dist/), so that
//  - a reload never blocks the event loop: the main thread only adopts the finished snapshot
//    (the swap pause measured in bench/registry.bench.ts is this adoption, well under 1 ms);
//  - the build's temporary memory (staging columns, sort scratch: ~2x the index) leaves with the
//    thread instead of staying in the gateway's heap and RSS.
// Elsewhere (unit tests from source) it loads on the calling thread. Same result either way.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { RegistryLoadError, type RegistryErrorCode, type RowProblem } from './errors.js'
import { loadRegistryHere, type LoadOptions, type RegistryPaths } from './load-here.js'
import type { LoadWorkerData } from './load-worker.js'
import { CompactRegistry, type RegistrySnapshot } from './registry-index.js'
import type { LoadProgress, LoadReport } from './report.js'

export type { LoadOptions, RegistryPaths } from './load-here.js'
export { loadRegistryHere } from './load-here.js'

let workerUrl: URL | null | undefined
/** The worker entry: the compiled .js beside this file (not there when running from source). */
function loadWorkerUrl(): URL | undefined {
  if (workerUrl === undefined) {
    const js = new URL('./load-worker.js', import.meta.url)
    workerUrl = existsSync(fileURLToPath(js)) ? js : null
  }
  return workerUrl ?? undefined
}

type WorkerReply =
  | { progress: LoadProgress }
  | { snapshot: RegistrySnapshot; report: LoadReport }
  | { error: { code: RegistryErrorCode; file: string; detail: string; reasons: RowProblem[] } | { message: string } }

export async function loadRegistry(
  paths: RegistryPaths,
  opts: LoadOptions,
): Promise<{ index: CompactRegistry; report: LoadReport }> {
  const url = opts.inThread ? undefined : loadWorkerUrl()
  if (!url) return loadRegistryHere(paths, opts)
  const data: LoadWorkerData = { paths, maxRejectRatio: opts.maxRejectRatio, progress: opts.onProgress !== undefined }
  const worker = new Worker(url, { workerData: data })
  return new Promise((resolve, reject) => {
    let result: { index: CompactRegistry; report: LoadReport } | undefined
    let failure: Error | undefined
    worker.on('message', (m: WorkerReply) => {
      if ('progress' in m) opts.onProgress?.(m.progress)
      else if ('snapshot' in m) result = { index: CompactRegistry.fromShared(m.snapshot), report: m.report }
      else if ('code' in m.error) failure = new RegistryLoadError(m.error.code, m.error.file, m.error.detail, m.error.reasons)
      else failure = new Error(`registry load failed: ${m.error.message}`)
    })
    worker.on('error', (err) => (failure ??= new Error(`registry load worker failed: ${err.message}`)))
    // settle on exit: by then the worker's build memory is released
    worker.on('exit', (code) => {
      if (result) resolve(result)
      else reject(failure ?? new Error(`registry load worker exited with code ${code} and no result`))
    })
  })
}
