// The piscina worker: parse, look up and decide one batch of DUIS documents. Pure functions
// only; no logging (payloads never leave the main thread's control) and no I/O.
import { workerData } from 'piscina'
import type { Config } from '../config/index.js'
import { createCalendar } from '../obligations/index.js'
import { policySettings } from '../policy/index.js'
import { CompactRegistry } from '../registry/index.js'
import { evaluate } from '../pipeline.js'
import type { EvaluateContext, Evaluation } from '../pipeline.js'
import { fromWire } from './types.js'
import type { BatchResult, BatchTask, WorkerSetup } from './types.js'

const setup = workerData as WorkerSetup
// policySettings reads only `tenants`, `policy` and `dcc` of the configuration.
const policy = policySettings({ tenants: setup.tenants, policy: setup.policy, dcc: setup.dcc } as Config)
const calendar = createCalendar(setup.calendar)

let gen = -1
let ctx: EvaluateContext | undefined

/** piscina calls the default export once per task. */
export default function evaluateBatch(task: BatchTask): BatchResult {
  const { bytes, offsets } = task
  const n = offsets.length - 1
  if (task.gen !== gen || ctx === undefined) {
    // A reload on the main thread: adopt the new snapshot (shared arrays, no copy).
    ctx = { limits: setup.limits, registry: CompactRegistry.fromShared(fromWire(task.registry)), policy, calendar }
    gen = task.gen
  }
  const out: Evaluation[] = new Array(n)
  for (let k = 0; k < n; k++) out[k] = evaluate(bytes.subarray(offsets[k]!, offsets[k + 1]!), ctx)
  return out
}
