// Runs in a worker thread with its own connection to gateway.db: WAL checkpoints (which fsync the
// database file) happen here, so they never stall the event loop that answers the DCC. The main
// thread asks for one on the gateway's clock (checkpointer.ts); each answer says it is done.
// PASSIVE never waits for readers or writers; it copies what it can and the next round goes on.
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'

const { file, synchronous } = workerData as { file: string; synchronous: string }
const db = new Database(file)
db.pragma('busy_timeout = 5000')
db.pragma(`synchronous = ${synchronous}`)
parentPort?.on('message', (m: unknown) => {
  if (m === 'checkpoint') {
    try {
      db.pragma('wal_checkpoint(PASSIVE)')
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
