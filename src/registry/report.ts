// What a load did, for `registry check` (docs/operations.md, "Command line") and the reload log line.
import type { RowProblem } from './errors.js'
import type { RegistryCounts } from './types.js'

export const MAX_REASONS = 20

export interface FileReport {
  file: string
  /** data lines read (header and blank lines excluded) */
  rows: number
  loaded: number
  rejected: number
  bytes: number
  ms: number
}

export interface LoadReport {
  files: FileReport[]
  /** the first MAX_REASONS rejected rows, with file:line */
  reasons: RowProblem[]
  /** registration rows whose MPAN/MPRN check digit fails (warning only: real test data can fail, e.g. DCC Boxed's template MPAN) */
  checkDigitWarnings: number
  /** registration rows whose MPID no party holds (kept) */
  unknownMpidWarnings: number
  unknownMpids: string[]
  /** duplicate / same-start / overlapping periods and conflicting device rows, resolved by rule */
  overlaps: number
  overlapSamples: RowProblem[]
  /** of `overlaps`: rows whose effective_to is on or after the next row's effective_from (the later start wins) */
  endOverlaps: number
  /** consecutive touching periods of the same MPID merged into one */
  mergedPeriods: number
  /** device -> MPxN links with mpxn_role export (devices.csv 5th column; duplicate rows collapsed) */
  exportMpanLinks: number
  /** device rows naming an MPxN with no registration rows (kept; MpxnFacts.known = false) */
  devicesWithUnregisteredMpxn: number
  counts: RegistryCounts
  memory: { indexBytes: number; heapUsedDelta: number; externalDelta: number; arrayBuffersDelta: number; rss: number }
  loadMs: number
  /** where the index came from: a compiled snapshot (docs/registry.md) or the files */
  source: 'files' | 'snapshot'
  /** the snapshot file read, when source = snapshot */
  snapshot?: string
  /** snapshots tried and refused (corrupt, truncated, stale), newest first, with the reason */
  snapshotsRefused: { file: string; reason: string }[]
}

export function emptyReport(): LoadReport {
  return {
    files: [], reasons: [], checkDigitWarnings: 0, unknownMpidWarnings: 0, unknownMpids: [],
    overlaps: 0, endOverlaps: 0, overlapSamples: [], mergedPeriods: 0, exportMpanLinks: 0, devicesWithUnregisteredMpxn: 0,
    counts: { registrations: 0, mpxns: 0, devices: 0, parties: 0, userIds: 0 },
    memory: { indexBytes: 0, heapUsedDelta: 0, externalDelta: 0, arrayBuffersDelta: 0, rss: 0 },
    loadMs: 0,
    source: 'files',
    snapshotsRefused: [],
  }
}

const MiB = (n: number) => `${(n / 1048576).toFixed(1)} MiB`
const num = (n: number) => n.toLocaleString('en-GB')
const dMiB = (n: number) => (n >= 0 ? '+' : '') + MiB(n)

/** Human text for `registry check`. */
export function formatLoadReport(r: LoadReport): string {
  const out: string[] = []
  const c = r.counts
  out.push(`registry loaded in ${(r.loadMs / 1000).toFixed(2)} s${r.snapshot ? ` from snapshot ${r.snapshot}` : ''}: ${num(c.mpxns)} MPxNs, ${num(c.registrations)} periods, ` +
    `${num(c.devices)} devices, ${num(c.parties)} parties, ${num(c.userIds)} user IDs`)
  for (const x of r.snapshotsRefused) out.push(`  snapshot refused, ${x.file}: ${x.reason}`)
  for (const f of r.files)
    out.push(`  ${f.file}: ${num(f.loaded)} loaded, ${num(f.rejected)} rejected of ${num(f.rows)} rows (${MiB(f.bytes)}, ${(f.ms / 1000).toFixed(2)} s)`)
  out.push(`device -> MPxN links (devices.csv mpxn_role): ${num(r.exportMpanLinks)} export MPAN${r.exportMpanLinks === 1 ? '' : 's'}, the rest import or gas`)
  if (r.reasons.length) {
    const total = r.files.reduce((s, f) => s + f.rejected, 0)
    out.push(`rejected rows (first ${r.reasons.length} of ${num(total)}):`)
    for (const p of r.reasons) out.push(`  ${p.file}:${p.line}: ${p.reason}`)
  }
  out.push(`warnings: ${num(r.checkDigitWarnings)} check-digit failures (kept), ${num(r.unknownMpidWarnings)} rows with an MPID no party holds` +
    (r.unknownMpids.length ? ` (${r.unknownMpids.join(', ')}${r.unknownMpids.length >= 10 ? ', …' : ''})` : '') +
    `, ${num(r.devicesWithUnregisteredMpxn)} device rows with an unregistered MPxN`)
  out.push(`overlaps resolved: ${num(r.overlaps)}; touching same-supplier periods merged: ${num(r.mergedPeriods)}`)
  out.push(`  of which ${num(r.endOverlaps)} row${r.endOverlaps === 1 ? '' : 's'} with effective_to on or after the next effective_from ` +
    '(one-day overlap or more; the later start wins)')
  for (const p of r.overlapSamples) out.push(`  ${p.file}:${p.line}: ${p.reason}`)
  const m = r.memory
  out.push(`memory: index ${MiB(m.indexBytes)}, heap ${dMiB(m.heapUsedDelta)}, external ${dMiB(m.externalDelta)} ` +
    `(array buffers ${dMiB(m.arrayBuffersDelta)}), rss ${MiB(m.rss)}`)
  return out.join('\n')
}

export interface LoadProgress {
  file: string
  rows: number
  bytes: number
  totalBytes: number
}

/**
 * onProgress callback that prints rows/s and an ETA on one line when `stream` is a TTY. Files read
 * at the same time (devices.csv in its own thread beside registrations.csv) share the line; it ends
 * when all of them are read.
 */
export function progressPrinter(stream: Pick<NodeJS.WriteStream, 'isTTY' | 'write'>): (p: LoadProgress) => void {
  if (!stream.isTTY) return () => {}
  const active = new Map<string, { t0: number; p: LoadProgress }>()
  let last = 0
  const read = (p: LoadProgress) => p.bytes >= p.totalBytes
  return (p) => {
    const now = Date.now()
    const seen = active.get(p.file)
    if (seen) seen.p = p
    else active.set(p.file, { t0: now, p })
    if (seen && !read(p) && now - last < 200) return
    last = now
    const parts = [...active.values()].map(({ t0, p }) => {
      const s = Math.max((now - t0) / 1000, 1e-3)
      const eta = p.bytes > 0 && p.totalBytes > p.bytes ? ((p.totalBytes - p.bytes) * s) / p.bytes : 0
      const pct = p.totalBytes ? ((100 * p.bytes) / p.totalBytes).toFixed(0) : '?'
      return `${p.file}: ${num(p.rows)} rows, ${num(Math.round(p.rows / s))} rows/s, ${pct}%, ETA ${eta.toFixed(0)} s`
    })
    stream.write(`\r${parts.join(' | ')}   `)
    if ([...active.values()].every((a) => read(a.p))) {
      stream.write('\n')
      active.clear()
    }
  }
}
