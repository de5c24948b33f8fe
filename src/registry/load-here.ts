// loadRegistryHere: parties.yaml, then registrations.csv, then devices.csv -> a new CompactRegistry,
// on the calling thread (load.ts runs it in a worker thread when it can).
// Side-effect free: it builds a new index beside any live one and throws RegistryLoadError on a
// fatal problem, so a failed reload leaves the caller's current index untouched (contract §5).
import { buildPeriods } from './build-periods.js'
import { buildDevices } from './build-devices.js'
import type { FileTally } from './file-tally.js'
import { readDevices } from './load-devices.js'
import { readRegistrations } from './load-registrations.js'
import { MpidTable } from './mpid-table.js'
import { loadParties } from './parties.js'
import { CompactRegistry } from './registry-index.js'
import { emptyReport, MAX_REASONS, type LoadProgress, type LoadReport } from './report.js'

export interface RegistryPaths {
  registrations: string
  devices: string
  parties: string
}

export interface LoadOptions {
  /** registry.maxRejectRatio: rejected share of a file above which it is fatal (0..1) */
  maxRejectRatio: number
  onProgress?: (p: LoadProgress) => void
  /**
   * Load on the calling thread instead of a worker thread (load.ts). The worker keeps the event
   * loop free during a reload and gives its build-time memory back when it exits.
   */
  inThread?: boolean
}

function issueSink(report: LoadReport, tally: FileTally) {
  return (row: number, reason: string, other: number) => {
    report.overlaps++
    if (report.overlapSamples.length < MAX_REASONS)
      report.overlapSamples.push({ file: tally.file, line: tally.lineOf(row), reason: `${reason} (see line ${tally.lineOf(other)})` })
  }
}

const PERIOD_RULES = {
  duplicate: 'duplicate period, collapsed',
  'same-start': 'same effective_from as another row with a different supplier or end; the later row in the file wins',
  overlap: 'effective_to is on or after the next effective_from (a one-day overlap or more); the later start wins, the period ends the day before it',
  history: 'more than 63 supply periods for this MPxN; the oldest are dropped',
} as const

export async function loadRegistryHere(
  paths: RegistryPaths,
  opts: LoadOptions,
): Promise<{ index: CompactRegistry; report: LoadReport }> {
  const t0 = performance.now()
  const mem0 = process.memoryUsage()
  const report = emptyReport()

  const tp = performance.now()
  const parties = await loadParties(paths.parties)
  report.files.push({ file: paths.parties, rows: parties.length, loaded: parties.length, rejected: 0, bytes: 0, ms: performance.now() - tp })
  const mpids = new MpidTable(parties.flatMap((p) => p.mpids))

  const reg = await readRegistrations(paths.registrations, mpids, report, opts.onProgress)
  reg.tally.finish(opts.maxRejectRatio)
  const regSink = issueSink(report, reg.tally)
  const { table: main, merged } = buildPeriods(reg.rows, (row, kind, other) => {
    if (kind === 'overlap') report.endOverlaps++
    regSink(row, PERIOD_RULES[kind], other)
  })
  report.mergedPeriods = merged
  reg.rows.release() // staging no longer needed: collectable before devices load

  const dev = await readDevices(paths.devices, main, report, opts.onProgress)
  dev.tally.finish(opts.maxRejectRatio)
  const devSink = issueSink(report, dev.tally)
  const devices = buildDevices(dev.rows, (row, kind, other) =>
    devSink(row, kind === 'duplicate' ? 'duplicate device row, collapsed' : 'device listed with another type or status; the last row wins', other))

  const index = new CompactRegistry({
    loadedAt: Date.now(),
    counts: {
      registrations: main.periods.length / 3,
      mpxns: main.slots.length,
      devices: devices.devices,
      parties: parties.length,
      userIds: parties.reduce((n, p) => n + p.userIds.length, 0),
    },
    parties,
    mpids: mpids.names,
    main,
    orphans: dev.orphans,
    devices,
  })
  const mem1 = process.memoryUsage()
  report.counts = index.counts
  report.memory = {
    indexBytes: index.byteSize(),
    heapUsedDelta: mem1.heapUsed - mem0.heapUsed,
    externalDelta: mem1.external - mem0.external,
    arrayBuffersDelta: mem1.arrayBuffers - mem0.arrayBuffers,
    rss: mem1.rss,
  }
  report.loadMs = performance.now() - t0
  return { index, report }
}
