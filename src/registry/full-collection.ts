// A full collection of the calling thread's heap, for the load worker (load-worker.ts) to call
// between the build's phases (LoadOptions.collect): a worker cannot be started with --expose-gc,
// so the flag is set for the moment it takes to make one new context with `gc` in it, then
// cleared again (unless the process was started with it). Without it, a finished phase's buffers
// (~20 MB at 10M MPxNs: write blocks, sort buffers, read buffers) would wait for a collection that
// a build allocating next to nothing on the JS heap rarely triggers, beside the two indexes of a
// reload (docs/registry.md, "Peak memory").
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** `gc` of this thread's isolate, or undefined where V8 refuses the flag. */
export function fullCollection(): (() => void) | undefined {
  const asked = /--expose[-_]gc/.test([...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' '))
  try {
    setFlagsFromString('--expose-gc')
    const gc: unknown = runInNewContext('gc')
    return typeof gc === 'function' ? (gc as () => void) : undefined
  } catch {
    return undefined
  } finally {
    if (!asked) setFlagsFromString('--no-expose-gc')
  }
}
