// loadRegistryHere: the newest valid compiled snapshot (docs/registry.md), else parties.yaml, then
// registrations.csv, then devices.csv -> a new CompactRegistry, on the calling thread (load.ts runs
// it in a worker thread when it can). After a build from files, writeSnapshotOf() compiles it for
// the next start.
// Side-effect free: it builds a new index beside any live one and throws RegistryLoadError on a
// fatal problem, so a failed reload leaves the caller's current index untouched (docs/registry.md, "Reload").
import { dirname } from 'node:path'
import { MPXN_ROLE_EXPORT, roleAt, type PackedDeviceTable } from './packed-device-table.js'
import { buildDevices } from './load-devices.js'
import { buildRegistrations } from './load-registrations.js'
import { MpidTable } from './mpid-table.js'
import { CompactRegistry, INDEX_LAYOUT } from './registry-index.js'
import { emptyReport, type LoadProgress, type LoadReport } from './report.js'
import { loadNewestSnapshot, saveIndexSnapshot, type SnapshotOptions } from './snapshot-store.js'
import { TempFiles } from './partition-files.js'
import { crcOfFile, RunningCrc, statOf, type SourceStamp } from './sources.js'
import type { Party } from './types.js'

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
  /**
   * Compiled snapshots (registry.snapshotDir): start from the newest snapshot whose sources are
   * unchanged; after a build from files, writeSnapshotOf() writes one. `use: false` always builds
   * from the files (`registry compile`).
   */
  snapshots?: SnapshotOptions & { use?: boolean }
  /** partitions (2^bits) of each file's records in a build from files; default from the file's size (tests) */
  partitionBits?: number
  /**
   * A full collection of this thread's heap, called between the build's phases so that one
   * phase's scratch (write blocks, sort buffers) is freed before the next allocates: the load
   * worker's (load-worker.ts); none on the gateway's own thread.
   */
  collect?: () => void
  /**
   * parties.yaml read and checked (readParties) elsewhere, asked for only by a build from the files
   * (a snapshot holds its parties): the load worker asks load.ts, which reads it in a parties-only
   * worker, so that the load worker never imports the YAML parser and the schema validator (a few
   * MB of its RSS beside the two indexes of a reload). Undefined (or absent): read here.
   */
  parties?: () => Promise<PartiesRead | undefined>
}

/** parties.yaml read and checked, with its stamp (taken before the read). */
export interface PartiesRead {
  parties: Party[]
  stamp: SourceStamp
}

/** Reads and checks parties.yaml (parties.ts, imported on first use); throws RegistryLoadError. */
export async function readParties(path: string): Promise<PartiesRead> {
  const stamp = await stampOf('parties', path)
  const { loadParties } = await import('./parties.js')
  const parties = await loadParties(path)
  stamp.crc32 = await crcOfFile(path)
  return { parties, stamp }
}

/** The source files of an index built from files, as read (null for a snapshot load). */
export type BuiltFrom = SourceStamp[] | null

/** What a load hands back besides the index: the report and, after a build, the sources read. */
export interface LoadResult {
  index: CompactRegistry
  report: LoadReport
  builtFrom: BuiltFrom
}

/** Written snapshot, or why none was written. */
export type SnapshotWrite = { file: string; bytes: number; ms: number } | { error: string } | { skipped: string }

/** Compile `r` into the snapshot folder when it was built from files. Never throws. */
export function writeSnapshotOf(r: LoadResult, opts: LoadOptions): SnapshotWrite {
  if (!opts.snapshots) return { skipped: 'snapshots are off' }
  if (r.builtFrom === null) return { skipped: 'loaded from a snapshot' }
  try {
    return saveIndexSnapshot(opts.snapshots, r.index.toShared())
  } catch (err) {
    return { error: `writing a snapshot into ${opts.snapshots.dir} failed: ${(err as Error).message}` }
  }
}

async function stampOf(role: string, path: string): Promise<SourceStamp> {
  try {
    return { role, path, ...(await statOf(path)), crc32: 0 }
  } catch {
    return { role, path, size: -1, mtimeMs: -1, crc32: 0 } // unreadable: the read itself reports why
  }
}

export async function loadRegistryHere(paths: RegistryPaths, opts: LoadOptions): Promise<LoadResult> {
  const t0 = performance.now()
  const mem0 = process.memoryUsage()
  const report = emptyReport()

  if (opts.snapshots && opts.snapshots.use !== false) {
    const found = await loadNewestSnapshot(opts.snapshots, { ...paths }, INDEX_LAYOUT, report.snapshotsRefused)
    if (found) {
      const index = new CompactRegistry({ ...found.snapshot, loadedAt: Date.now(), sources: found.header.sources, baked: found.header.deltas })
      report.source = 'snapshot'
      report.snapshot = found.file
      report.exportMpanLinks = exportLinks(index.dev)
      finishReport(report, index, mem0, t0)
      return { index, report, builtFrom: null }
    }
  }

  // stat before reading: a file replaced during the load leaves a stamp that no longer matches
  const tp = performance.now()
  const read = (await opts.parties?.()) ?? (await readParties(paths.parties))
  const parties = read.parties
  const stamps = { parties: read.stamp, registrations: await stampOf('registrations', paths.registrations), devices: await stampOf('devices', paths.devices) }
  report.files.push({ file: paths.parties, rows: parties.length, loaded: parties.length, rejected: 0, bytes: 0, ms: performance.now() - tp })
  const mpids = new MpidTable(parties.flatMap((p) => p.mpids))

  // registrations.csv, then devices.csv: a device row's MPxN becomes its main-table entry, so the
  // MPxN table comes first (a failing registrations.csv is reported before devices.csv is read)
  // each parsed once into partition temp files (partition-files.ts) in the snapshot folder, else (none,
  // or not writable) beside registrations.csv; removed after, also on failure
  const temp = new TempFiles([...(opts.snapshots ? [opts.snapshots.dir] : []), dirname(paths.registrations)], opts.partitionBits)
  let reg: Awaited<ReturnType<typeof buildRegistrations>>
  let dev: Awaited<ReturnType<typeof buildDevices>>
  let built = false
  try {
    const regCrc = new RunningCrc()
    reg = await buildRegistrations(paths.registrations, mpids, report, opts.maxRejectRatio, temp, opts.onProgress, regCrc)
    stamps.registrations.crc32 = regCrc.value
    const devCrc = new RunningCrc()
    opts.collect?.()
    dev = await buildDevices(paths.devices, reg.table, report, opts.maxRejectRatio, temp, opts.onProgress, devCrc, opts.collect)
    stamps.devices.crc32 = devCrc.value
    built = true
  } finally {
    temp.remove(!built)
  }
  report.mergedPeriods = reg.merged
  const main = reg.table
  const devices = dev.table

  const index = new CompactRegistry({
    loadedAt: Date.now(),
    counts: {
      registrations: main.nPeriods,
      mpxns: main.n,
      devices: devices.devices,
      parties: parties.length,
      userIds: parties.reduce((n, p) => n + p.userIds.length, 0),
    },
    parties,
    mpids: mpids.names,
    main,
    orphans: dev.orphans,
    devices,
    sources: [stamps.registrations, stamps.devices, stamps.parties],
  })
  finishReport(report, index, mem0, t0)
  return { index, report, builtFrom: [stamps.registrations, stamps.devices, stamps.parties] }
}

/** Device -> MPxN links with mpxn_role export (a snapshot's report has no rows to count). */
function exportLinks(d: PackedDeviceTable): number {
  let n = 0
  for (let i = 0; i < d.rows; i++) if (roleAt(d, i) === MPXN_ROLE_EXPORT) n++
  return n
}

function finishReport(report: LoadReport, index: CompactRegistry, mem0: NodeJS.MemoryUsage, t0: number): void {
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
}
