// Runs in a worker thread with its own connection to gateway.db: WAL checkpoints (which fsync the
// database file) happen here, so they never stall the event loop that answers the DCC.
// PASSIVE never waits for readers or writers; it copies what it can and the next round goes on.
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'

const { file, intervalMs, synchronous } = workerData as { file: string; intervalMs: number; synchronous: string }
const db = new Database(file)
db.pragma('busy_timeout = 5000')
db.pragma(`synchronous = ${synchronous}`)
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
  } catch (err) {
    parentPort?.postMessage({ error: (err as Error).message })
  }
}, intervalMs)
parentPort?.on('message', (m: unknown) => {
  if (m === 'stop') {
    clearInterval(timer)
    try {
      db.pragma('wal_checkpoint(PASSIVE)')
    } finally {
      db.close()
      parentPort?.postMessage('stopped')
    }
  }
})
