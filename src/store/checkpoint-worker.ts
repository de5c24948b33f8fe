// Runs in a worker thread with its own connection to gateway.db: WAL checkpoints (which fsync the
// database file) happen here, so they never stall the event loop that answers the DCC. The main
// thread asks for one on the gateway's clock (checkpointer.ts); each answer says it is done.
// PASSIVE never waits for readers or writers; it copies what it can and the next round goes on.
// PASSIVE alone does not bound the file: SQLite starts the WAL over only when a write begins after
// a checkpoint that copied every frame while no reader used them, and with the projection worker
// writing while the main thread reads that moment may never come (measured: the WAL grew without
// end, 15 GB in 8 minutes of the soak at 3,200 msg/s). Past walLimitBytes the round is a
// TRUNCATE checkpoint instead: it waits (busy_timeout) for the readers and writers of the moment,
// copies everything, and empties the file (store option walLimitBytes, 64 MiB).
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { runInBackground } from '../threads/index.js'
import { setPageCache } from './page-cache.js'

const { file, synchronous, walLimitBytes, pageCacheMiB } = workerData as { file: string; synchronous: string; walLimitBytes: number; pageCacheMiB: number }
runInBackground()
const db = new Database(file)
db.pragma('busy_timeout = 5000')
setPageCache(db, pageCacheMiB)
const pageSize = db.pragma('page_size', { simple: true }) as number
db.pragma(`synchronous = ${synchronous}`)
parentPort?.on('message', (m: unknown) => {
  if (m === 'checkpoint') {
    try {
      const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[]
      if (r !== undefined && r.log * pageSize > walLimitBytes) db.pragma('wal_checkpoint(TRUNCATE)')
      parentPort?.postMessage('checkpointed')
    } catch (err) {
      parentPort?.postMessage({ error: (err as Error).message })
    }
  } else if (m === 'stop') {
    try {
      db.pragma('wal_checkpoint(PASSIVE)')
    } finally {
      db.close()
      parentPort?.postMessage('stopped')
    }
  }
})
