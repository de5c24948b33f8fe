import type { Logger } from 'pino'
import type { Clock } from '../clock/index.js'
import type { Config } from '../config/index.js'
import type { ReloadOutcome } from '../console/index.js'
import type { GatewayMetrics } from '../metrics/index.js'
import type { CompactRegistry, DeltaSummary, RegistryIndex } from '../registry/index.js'
import { loadAndMeasure, RegistryUpdates } from './registry-load.js'

/** What every full load answers (POST /admin/registry/reload, the console, SIGHUP). */
export interface Reloaded {
  loadedAt: string
  counts: RegistryIndex['counts']
  ms: number
}

/**
 * The registry index in force and everything that replaces it: the full load at start and on
 * reload, delta updates and their compaction (RegistryUpdates). Each evaluation reads `current()`
 * once, synchronously, so a swap is one assignment; `onSwap` listeners (the evaluation pool) follow
 * each swap, and `compare(prev, next)` (install-code duties) runs on each full load and compaction.
 */
export class RegistryInForce {
  #index: CompactRegistry
  #last: ReloadOutcome
  readonly #updates: RegistryUpdates
  readonly #swapListeners: ((next: CompactRegistry) => void)[] = []
  #compare: (prev: RegistryIndex, next: RegistryIndex) => Promise<unknown> = () => Promise.resolve()

  private constructor(
    private readonly config: Config,
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
    private readonly clock: Clock,
    index: CompactRegistry,
    firstLoadMs: number,
  ) {
    this.#index = index
    // the last load's outcome, whoever asked (start, SIGHUP, admin API, console): the console shows it
    this.#last = { at: index.loadedAt, ok: true, detail: 'loaded at start', ms: firstLoadMs }
    this.#updates = new RegistryUpdates(config, metrics, log, this.current, (next) => this.#swap(next), (prev, next) => this.#compare(prev, next), clock)
  }

  /** The first load (newest valid snapshot, else the files). */
  static async load(config: Config, metrics: GatewayMetrics, log: Logger, clock: Clock): Promise<RegistryInForce> {
    const started = performance.now()
    const index = await loadAndMeasure(config, metrics, log)
    return new RegistryInForce(config, metrics, log, clock, index, Math.round(performance.now() - started))
  }

  readonly current = (): CompactRegistry => this.#index
  readonly lastReload = (): ReloadOutcome => this.#last

  onSwap(listener: (next: CompactRegistry) => void): void {
    this.#swapListeners.push(listener)
  }

  /** Re-applies the kept deltas to the first load; `compare` runs on every later change of tables. */
  async catchUp(compare: (prev: RegistryIndex, next: RegistryIndex) => Promise<unknown>): Promise<void> {
    this.#compare = compare
    this.#swap(await this.#updates.catchUp(this.#index))
  }

  /** Polls registry.deltaDir from now on. */
  startPolling(): void {
    this.#updates.start()
  }

  stop(): void {
    this.#updates.stop()
  }

  /** POST /admin/registry/apply-delta; throws DeltaError when refused. */
  applyDelta(name: string, body: Buffer): Promise<DeltaSummary> {
    return this.#updates.apply(name, body)
  }

  /** A full load, brought up to date with the kept deltas, swapped in; the previous index stays on failure. */
  async reload(): Promise<Reloaded> {
    const started = performance.now()
    const ms = () => Math.round(performance.now() - started)
    const loaded = await loadAndMeasure(this.config, this.metrics, this.log).catch((err: unknown) => {
      this.#last = { at: this.clock.now(), ok: false, detail: (err as Error).message, ms: ms() }
      throw err
    })
    const next = await this.#updates.exclusive(async () => {
      const caught = await this.#updates.catchUp(loaded)
      const prev = this.#index
      this.#swap(caught)
      await this.#compare(prev, caught)
      return caught
    })
    this.#last = { at: this.clock.now(), ok: true, detail: 'ok', ms: ms() }
    return { loadedAt: new Date(next.loadedAt).toISOString(), counts: next.counts, ms: ms() }
  }

  #swap(next: CompactRegistry): void {
    this.#index = next // atomic: each evaluation reads current() once, synchronously
    for (const listener of this.#swapListeners) listener(next) // each pool batch is decided wholly on one index
  }
}
