// Worker-thread entry of the packed build (packed-build.ts): parses devices.csv into its partition
// file (packed-partitions.ts parseDevices) while the load thread parses registrations.csv, then
// posts where the records are and exits.
import { parentPort, workerData } from 'node:worker_threads'
import type { RegistryPaths } from '../../dist/registry/index.js'
import { parseDevices } from './packed-partitions.js'

const data = workerData as { paths: RegistryPaths; file: string; bits: number }
try {
  parentPort!.postMessage({ ok: await parseDevices(data.paths, data.file, data.bits) })
} catch (err) {
  parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) })
}
