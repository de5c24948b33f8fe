// Worker-thread entry of the packed build's devices.csv steps (packed-devices.ts): parse, then sort
// partitions while the load thread builds the registrations; once the MPxN table comes (its port,
// polled between partitions), the refs of the sorted partitions, then sort and refs of the rest.
// The load thread claims partitions from the same counter (and sorted ones' refs) while it would
// wait: each partition is prepared by whichever thread claims it first.
import { receiveMessageOnPort, workerData, parentPort, type MessagePort } from 'node:worker_threads'
import type { RegistryPaths } from '../../dist/registry/index.js'
import type { KeyTable } from './packed-index.js'
import { CANCELLED, DevicePrep, parseDevices, READY, REFS_CLAIMED, SORTED, type WorkerReply } from './packed-devices.js'

const data = workerData as { paths: RegistryPaths; file: string; bits: number; ctl: Int32Array; port: MessagePort }
const { ctl, port } = data
const P = 2 ** data.bits
const post = (m: WorkerReply) => parentPort!.postMessage(m)
const ready = (j: number) => {
  Atomics.store(ctl, 1 + j, READY)
  post({ ready: j })
}
try {
  const parsed = await parseDevices(data.paths, data.file, data.bits)
  post({ parsed })
  const prep = new DevicePrep(parsed.layout, 0, 2)
  const hasMain = () => {
    if (!prep.main) prep.main = receiveMessageOnPort(port)?.message as KeyTable | undefined
    return prep.main !== undefined
  }
  let sortedFrom = 0 // partitions below it are not SORTED any more (their refs claimed)
  try {
    for (;;) {
      if (hasMain()) {
        while (sortedFrom < P && Atomics.load(ctl, 1 + sortedFrom) !== SORTED) sortedFrom++
        if (sortedFrom < P) {
          const j = sortedFrom++
          if (Atomics.compareExchange(ctl, 1 + j, SORTED, REFS_CLAIMED) === SORTED) {
            prep.run(j, false, true)
            ready(j)
          }
          continue
        }
      }
      const j = Atomics.add(ctl, 0, 1)
      if (j < P) {
        const refs = hasMain()
        prep.run(j, true, refs)
        if (refs) ready(j)
        else Atomics.store(ctl, 1 + j, SORTED)
        continue
      }
      // nothing left to claim: the sorted partitions' refs once the table comes
      if (!hasMain()) {
        if (Atomics.load(ctl, 1 + P) === CANCELLED) throw new Error('cancelled')
        Atomics.wait(ctl, 1 + P, 0)
        continue
      }
      sortedFrom = 0
      while (sortedFrom < P && Atomics.load(ctl, 1 + sortedFrom) !== SORTED) sortedFrom++
      if (sortedFrom === P) break
    }
  } finally {
    prep.close()
  }
  post({ done: { orphans: prep.orphans(), ms: { ...parsed.ms, sort: Math.round(prep.ms.sort), refs: Math.round(prep.ms.refs) }, bytes: prep.bytes } })
} catch (err) {
  post({ error: err instanceof Error ? err.message : String(err) })
}
