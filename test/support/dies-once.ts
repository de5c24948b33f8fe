// A worker thread that dies once, for the tests of what replaces it: the checkpoint worker
// (test/integration/store-checkpoint.test.ts) and the projection worker
// (test/integration/projection-worker.test.ts).

/**
 * A worker module that stands in for `worker` (the compiled real one) and dies at its first
 * request the first time it runs: it exits (code 3) without an answer, leaving `marker`. Started
 * again, it finds `marker` and runs `worker`. Pass it where the store takes a worker's module
 * (`checkpointWorker`, `projectionWorker`). It is a data: URL (the parameters travel in the module
 * itself: a worker's file URL loses its query string) that imports dies-once-worker.mjs.
 */
export function diesOnce(worker: URL, marker: string): URL {
  const thread = new URL('./dies-once-worker.mjs', import.meta.url)
  const source = `import { runOrDie } from ${JSON.stringify(thread.href)}\nawait runOrDie(${JSON.stringify(worker.href)}, ${JSON.stringify(marker)})\n`
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`)
}
