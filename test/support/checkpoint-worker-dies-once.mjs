// A checkpoint worker (src/store/checkpoint-worker.ts) that dies at its first request the first
// time it runs for a database: it leaves a marker beside gateway.db and exits; started again, it
// runs the real worker. Used by test/integration/store-checkpoint.test.ts.
import { existsSync, writeFileSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'

const marker = `${workerData.file}.checkpoint-worker-died`
if (existsSync(marker)) {
  await import(new URL('../../dist/store/checkpoint-worker.js', import.meta.url).href)
} else {
  parentPort.once('message', () => {
    writeFileSync(marker, '')
    process.exit(3)
  })
}
