// devices.csv read (count and fill passes: load-devices.ts readDeviceRows) in a second thread while
// the load thread builds registrations.csv (docs/registry.md, "Bounded peak"): the two files share no
// work until each device row's MPxN key is turned into a main-table slot, which finishDevices does
// once both are read. The rows are SharedArrayBuffers, so the thread hands them over without a
// copy. Where the compiled worker is not there (unit tests from source), or `thread` is false, the
// same read runs here, when the result is asked for (after the registrations, as a sequential load).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { postedLoadErrorToError, type PostedLoadError, type RowProblem } from './errors.js'
import { readDeviceRows, type DeviceRows } from './load-devices.js'
import { emptyReport, type FileReport, type LoadProgress } from './report.js'
import { RunningCrc } from './sources.js'

export interface DeviceRowsRead {
  rows: DeviceRows
  /** CRC-32 of devices.csv as read (the snapshot's source stamp) */
  crc: number
  file: FileReport
  /** rejected rows with file:line, at most MAX_REASONS */
  reasons: RowProblem[]
}

export interface DeviceRowsJob {
  result(): Promise<DeviceRowsRead>
  /** the load failed elsewhere: stop reading */
  cancel(): void
}

export interface DeviceRowsWorkerData {
  file: string
  maxRejectRatio: number
  progress: boolean
}

export type DeviceRowsReply = { progress: LoadProgress } | { read: DeviceRowsRead } | { error: PostedLoadError }

/** The read in this thread, with a report of its own (merged by the caller like the thread's). */
export async function readDeviceRowsHere(file: string, maxRejectRatio: number, onProgress?: (p: LoadProgress) => void): Promise<DeviceRowsRead> {
  const report = emptyReport()
  const crc = new RunningCrc()
  const rows = await readDeviceRows(file, report, maxRejectRatio, onProgress, crc)
  return { rows, crc: crc.value, file: report.files[0]!, reasons: report.reasons }
}

const YOUNG_MB = 4

function workerUrl(): URL | undefined {
  const js = new URL('./device-rows-worker.js', import.meta.url)
  return existsSync(fileURLToPath(js)) ? js : undefined
}

export function startDeviceRows(file: string, maxRejectRatio: number, onProgress: ((p: LoadProgress) => void) | undefined, thread = true): DeviceRowsJob {
  const url = thread ? workerUrl() : undefined
  if (!url) return { result: () => readDeviceRowsHere(file, maxRejectRatio, onProgress), cancel: () => {} }
  const data: DeviceRowsWorkerData = { file, maxRejectRatio, progress: onProgress !== undefined }
  // it allocates almost nothing per row: a small young generation keeps its share of the peak small
  const worker = new Worker(url, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MB } })
  const done = new Promise<DeviceRowsRead>((resolve, reject) => {
    let failure: Error | undefined
    worker.on('message', (m: DeviceRowsReply) => {
      if ('progress' in m) onProgress?.(m.progress)
      else if ('read' in m) resolve(m.read)
      else failure = postedLoadErrorToError(m.error, 'reading devices.csv')
    })
    worker.on('error', (err) => (failure ??= new Error(`the devices.csv reader thread failed: ${err.message}`)))
    worker.on('exit', (code) => reject(failure ?? new Error(`the devices.csv reader thread exited with code ${code} and no result`)))
  })
  done.catch(() => {}) // handled where result() is awaited; a cancelled read is not awaited at all
  return { result: () => done, cancel: () => void worker.terminate() }
}
