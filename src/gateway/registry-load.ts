import { every, systemClock } from '../clock/index.js'
import type { Clock, ClockTimer } from '../clock/index.js'
import type { Logger } from 'pino'
import type { Config } from '../config/index.js'
import { registrySourceTimes } from '../metrics/index.js'
import type { GatewayMetrics } from '../metrics/index.js'
import { compactIndex, CompactRegistry, DeltaFolder, loadOptionsOf, loadRegistry } from '../registry/index.js'
import type { DeltaSummary } from '../registry/index.js'

function setEntries(metrics: GatewayMetrics, index: CompactRegistry): void {
  const c = index.counts
  for (const [kind, n] of Object.entries({ registrations: c.registrations, mpxns: c.mpxns, devices: c.devices, parties: c.parties, user_ids: c.userIds })) {
    metrics.registryEntries.set({ kind }, n)
  }
}

/** Loads the registry (newest valid snapshot, else the files, in a worker thread) and records the registry metrics. */
export async function loadAndMeasure(config: Config, metrics: GatewayMetrics, log: Logger): Promise<CompactRegistry> {
  const registryPaths = { registrations: config.registry.registrations, devices: config.registry.devices, parties: config.registry.parties }
  const started = performance.now()
  try {
    const sources = await registrySourceTimes(registryPaths) // before the load: never younger than the data
    const { index, report, snapshotWritten } = await loadRegistry(registryPaths, loadOptionsOf(config.registry))
    for (const r of report.snapshotsRefused) log.warn({ snapshot: r.file, reason: r.reason }, 'registry snapshot refused, not used')
    void snapshotWritten.then((w) => 'error' in w ? log.warn({ err: w.error }, 'registry snapshot not written') : 'file' in w && log.info({ snapshot: w.file, bytes: w.bytes }, 'registry snapshot written'))
    const seconds = (performance.now() - started) / 1000
    metrics.registryReloads.inc({ outcome: 'ok' })
    metrics.registryLoadSeconds.set(seconds)
    metrics.registryLoaded.set(index.loadedAt / 1000)
    metrics.setRegistrySources(sources)
    setEntries(metrics, index)
    log.info({ counts: index.counts, seconds, source: report.source, ...(report.snapshot && { snapshot: report.snapshot }) }, 'registry loaded')
    return index
  } catch (err) {
    metrics.registryReloads.inc({ outcome: 'failed' })
    throw err
  }
}

/**
 * Delta updates (docs/registry.md) around the gateway's index: applied in time proportional to the delta
 * and swapped in with one assignment (`swap`); then folded into new tables by a compaction in a
 * worker thread (which writes a snapshot) and swapped again. One change at a time: deltas, folder
 * scans, compaction swaps and full reloads queue behind each other, so none is lost to a race.
 * `onCompacted(before, after)` runs the checks that compare two indexes (install-code duties)
 * between the last index without an overlay and the compacted one.
 */
export class RegistryUpdates {
  readonly folder: DeltaFolder
  #queue: Promise<unknown> = Promise.resolve()
  #base: CompactRegistry
  #compacting = false
  #again = false
  #timer: ClockTimer | undefined

  constructor(
    private readonly config: Config,
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
    private readonly current: () => CompactRegistry,
    private readonly swap: (next: CompactRegistry) => void,
    private readonly onCompacted: (before: CompactRegistry, after: CompactRegistry) => Promise<unknown>,
    /** the gateway's clock: the delta folder is polled on it */
    private readonly clock: Clock = systemClock,
  ) {
    this.folder = new DeltaFolder(config.registry.deltaDir)
    this.#base = current()
  }

  /** Runs `fn` after every queued change (a full reload swaps inside it). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn)
    this.#queue = run.catch(() => {})
    return run
  }

  /** A freshly loaded index brought up to date with the kept deltas it does not hold. */
  async catchUp(loaded: CompactRegistry): Promise<CompactRegistry> {
    this.#base = loaded
    const r = await this.folder.catchUp(loaded)
    for (const f of r.failed) this.log.error({ delta: f.name, err: f.error }, 'kept registry delta no longer applies; skipped')
    if (r.applied.length > 0) {
      this.log.info({ deltas: r.applied.map((s) => s.name) }, 'registry deltas re-applied after a load')
      this.#compactSoon()
    }
    return r.index
  }

  /** POST /admin/registry/apply-delta: applies, keeps, swaps; throws DeltaError when refused. */
  apply(name: string, bytes: Buffer): Promise<DeltaSummary> {
    return this.exclusive(async () => {
      const r = await this.folder.apply(this.current(), name, bytes)
      this.#swapDelta(r.index, [r.summary])
      return r.summary
    })
  }

  /** Applies the delta files dropped into registry.deltaDir. */
  scan(): Promise<void> {
    return this.exclusive(async () => {
      const r = await this.folder.scan(this.current())
      for (const x of r.rejected) this.log.error({ delta: x.name, err: x.reason }, 'registry delta refused, moved to rejected/')
      if (r.applied.length > 0) this.#swapDelta(r.index, r.applied)
    })
  }

  #swapDelta(next: CompactRegistry, applied: DeltaSummary[]): void {
    this.swap(next)
    setEntries(this.metrics, next)
    this.metrics.registryLoaded.set(next.loadedAt / 1000)
    for (const s of applied) this.log.info({ delta: s.name, kind: s.kind, rows: s.rows, mpxns: s.mpxnsChanged, devices: s.devicesChanged, endOverlaps: s.endOverlaps, ms: Math.round(s.ms) }, 'registry delta applied')
    this.#compactSoon()
  }

  /** Polls the delta folder every registry.deltaPollSeconds (0: never). */
  start(): void {
    const s = this.config.registry.deltaPollSeconds
    if (s > 0) this.#timer = every(this.clock, s * 1000, () => this.scan().catch((err: unknown) => this.log.error({ err }, 'registry delta scan failed')))
  }
  stop(): void {
    this.#timer?.cancel()
  }

  #compactSoon(): void {
    if (this.#compacting) {
      this.#again = true
      return
    }
    this.#compacting = true
    void this.#compact().finally(() => {
      this.#compacting = false
      if (this.#again) {
        this.#again = false
        this.#compactSoon()
      }
    })
  }

  async #compact(): Promise<void> {
    const input = this.current()
    if (!input.hasOverlay) return
    const r = this.config.registry
    try {
      const out = await compactIndex(input, r.snapshots ? { dir: r.snapshotDir, keep: r.snapshotsKept } : undefined)
      if ('error' in out.written) this.log.warn({ err: out.written.error }, 'registry snapshot not written after compaction')
      await this.exclusive(async () => {
        const now = this.current()
        if (now.main !== input.main) return // a full reload replaced the tables meanwhile
        let next = new CompactRegistry({ ...out.snapshot, loadedAt: Date.now() })
        const more = await this.folder.catchUp(next) // deltas applied while compacting
        next = more.index
        const before = this.#base
        this.swap(next)
        this.#base = new CompactRegistry({ ...out.snapshot, loadedAt: next.loadedAt })
        setEntries(this.metrics, next)
        this.log.info({ deltas: out.snapshot.baked?.length ?? 0, snapshot: 'file' in out.written ? out.written.file : undefined }, 'registry deltas compacted')
        await this.onCompacted(before, this.#base).catch((err: unknown) => this.log.error({ err }, 'install-code check after compaction failed'))
        if (more.applied.length > 0) this.#again = true
      })
    } catch (err) {
      this.log.error({ err }, 'registry compaction failed; the overlay stays in use')
    }
  }
}
