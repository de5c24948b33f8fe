// The thread side of diesOnce (test/support/dies-once.ts), imported by the one-line module it
// builds. Plain JavaScript: it runs in a worker thread, where vitest does not load TypeScript.
import { existsSync, writeFileSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'

/**
 * The first time (no `marker` yet): waits for the thread's first request, then leaves `marker` and
 * exits with code 3, answering nothing (an uncaught error, out of memory). Every time after: runs
 * the real worker module `worker`. Requests come on the parent port, or on the MessagePort the
 * caller handed over as `workerData.port` (the projection worker's channel).
 */
export async function runOrDie(worker, marker) {
  if (existsSync(marker)) {
    await import(worker)
    return
  }
  const port = workerData?.port ?? parentPort
  port.once('message', () => {
    writeFileSync(marker, '')
    process.exit(3)
  })
}
