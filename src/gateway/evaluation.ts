import type { Config } from '../config/index.js'
import type { WorkingDayCalendar } from '../obligations/index.js'
import { evaluate } from '../pipeline.js'
import type { EvaluateContext, RecordContext } from '../pipeline.js'
import type { PolicySettings } from '../policy/index.js'
import { EvaluatePool, workerSetup } from '../pool/index.js'
import type { PoolOutcome } from '../pool/index.js'
import type { CompactRegistry, RegistryIndex } from '../registry/index.js'

/** Parse, look up and decide, on the main thread or on the pool, against the index in force. */
export interface Evaluation {
  /** the index it decided on travels with the outcome (the record is built against it) */
  evaluate(body: Buffer): PoolOutcome | Promise<PoolOutcome>
  /** what an evaluation on the main thread reads (release, the dispatcher's critical rejects) */
  evalCtx(): EvaluateContext
  /** what recording a decision needs: the index it was decided on, the working-day deadlines, the tenants */
  recordCtx(index?: RegistryIndex): RecordContext
  /** a new index in force (the pool keeps each batch on one index) */
  setRegistry(next: CompactRegistry): void
  /** pool utilisation and queue for the metrics; undefined without a pool */
  sample(): { utilization: number; queueDepth: number } | undefined
  close(): Promise<void>
}

export function createEvaluation(config: Config, registry: () => CompactRegistry, policy: PolicySettings, calendar: WorkingDayCalendar): Evaluation {
  const evalCtx = (): EvaluateContext => ({ limits: config.limits, registry: registry(), policy, calendar })
  // pool.size 0: parse, look up and decide inline (measured faster on 2 cores: docs/performance.md).
  const pool = config.pool.size > 0
    ? new EvaluatePool({ ...config.pool, setup: workerSetup(config), registry: registry() })
    : undefined
  return {
    evaluate: pool ? (body) => pool.evaluate(body) : (body) => ({ kind: 'evaluated', ev: evaluate(body, evalCtx()), registry: registry() }),
    evalCtx,
    recordCtx: (index = registry()) => ({ registry: index, deadline: (ms, wd) => calendar.deadline(ms, wd), tenants: config.tenants }),
    setRegistry: (next) => pool?.setRegistry(next),
    sample: () => pool?.sample(),
    close: async () => pool?.close(),
  }
}
