// Worker-thread entry of the packed build's devices.csv steps (packed-devices.ts): parse and sort
// while the load thread builds the registrations, then, once it posts the finished MPxN table, the
// refs partition by partition (each posted as it is done, for the load thread to append).
import { parentPort, workerData } from 'node:worker_threads'
import type { RegistryPaths } from '../../dist/registry/index.js'
import type { KeyTable } from './packed-index.js'
import { DeviceRefs, parseDevices, sortDevices, type WorkerReply } from './packed-devices.js'

const data = workerData as { paths: RegistryPaths; file: string; bits: number }
const port = parentPort!
const post = (m: WorkerReply) => port.postMessage(m)
// listening from the start: the table may come while this thread still sorts
const main = new Promise<KeyTable>((resolve) => port.once('message', (m: { main: KeyTable }) => resolve(m.main)))
try {
  const parsed = await parseDevices(data.paths, data.file, data.bits)
  post({ parsed })
  parsed.ms.sort = sortDevices(parsed.layout)
  const refs = new DeviceRefs(parsed.layout, await main)
  try {
    for (let part = 0; part < 2 ** data.bits; part++) {
      refs.partition(part)
      post({ ready: part })
    }
  } finally {
    refs.close()
  }
  post({ done: { orphans: refs.orphanKeys(), ms: { ...parsed.ms, refs: Math.round(refs.ms) } } })
} catch (err) {
  post({ error: err instanceof Error ? err.message : String(err) })
}
