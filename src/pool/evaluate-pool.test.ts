import { describe, expect, it } from 'vitest'
import type { CompactRegistry } from '../registry/index.js'
import { EvaluatePool } from './index.js'
import type { WorkerSetup } from './types.js'

describe('EvaluatePool', () => {
  it('from source (no compiled worker beside it) refuses to start, naming the way out, instead of failing its first task', () => {
    const options = { size: 1, batchSize: 1, batchWaitMicros: 0, maxQueue: 1, setup: {} as WorkerSetup, registry: {} as CompactRegistry }
    expect(() => new EvaluatePool(options)).toThrow(/needs the built gateway .*set pool.size 0/)
  })
})
