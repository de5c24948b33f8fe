// Worker-thread entry of compactIndex (delta-folder.ts): folds the overlay into new tables (O(index)
// work kept off the event loop), writes the snapshot, posts the new tables (shared, not copied).
import { parentPort, workerData } from 'node:worker_threads'
import { compactSnapshot } from './compact.js'
import { writeCompacted } from './delta-folder.js'
import type { RegistrySnapshot } from './registry-index.js'
import type { SnapshotOptions } from './snapshot-store.js'

const data = workerData as { snapshot: RegistrySnapshot; snapshots?: SnapshotOptions }
try {
  const snapshot = compactSnapshot(data.snapshot)
  parentPort!.postMessage({ snapshot, written: writeCompacted(snapshot, data.snapshots) })
} catch (err) {
  parentPort!.postMessage({ error: (err as Error).message })
}
