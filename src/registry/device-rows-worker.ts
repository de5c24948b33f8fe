// Worker-thread entry of device-rows.ts: reads devices.csv into the device rows and posts them
// (SharedArrayBuffers: shared, not copied), then exits.
import { parentPort, workerData } from 'node:worker_threads'
import type { DeviceRowsReply, DeviceRowsWorkerData } from './device-rows.js'
import { readDeviceRowsHere } from './device-rows.js'
import { postedLoadError } from './errors.js'
import type { LoadProgress } from './report.js'

const data = workerData as DeviceRowsWorkerData
const port = parentPort!
const post = (m: DeviceRowsReply) => port.postMessage(m)
try {
  post({ read: await readDeviceRowsHere(data.file, data.maxRejectRatio, data.progress ? (p: LoadProgress) => post({ progress: p }) : undefined) })
} catch (err) {
  post({ error: postedLoadError(err) })
}
