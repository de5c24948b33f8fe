import { formatLoadReport, loadRegistry, progressPrinter } from '../registry/index.js'
import { configFrom, EXIT } from './common.js'

/** `registry check`: loads every registry file, prints counts, rejected rows and memory; exit 1 on a fatal error. */
export async function registryCheck(opts: { config?: string }): Promise<number> {
  const config = configFrom(opts)
  const r = config.registry
  try {
    const { report } = await loadRegistry(
      { registrations: r.registrations, devices: r.devices, parties: r.parties },
      // on a TTY: one progress line per file (rows, rows/s, %, ETA), on stderr so stdout stays the report
      { maxRejectRatio: r.maxRejectRatio, onProgress: progressPrinter(process.stderr) },
    )
    if (process.stderr.isTTY) process.stderr.write('\n')
    process.stdout.write(formatLoadReport(report) + '\n')
    return EXIT.OK
  } catch (err) {
    if (process.stderr.isTTY) process.stderr.write('\n')
    const e = err as { code?: string; message: string }
    process.stderr.write(`registry check failed${e.code ? ` (${e.code})` : ''}:\n${e.message}\n`)
    return EXIT.FAILURE
  }
}

/**
 * `registry compile`: builds the index from the registry files and writes it as a compiled snapshot
 * into registry.snapshotDir (docs/registry.md), which the next start or reload reads instead of the files
 * while they are unchanged. Exit 1 when the files are fatal or the snapshot cannot be written.
 */
export async function registryCompile(opts: { config?: string }): Promise<number> {
  const config = configFrom(opts)
  const r = config.registry
  try {
    const { report, snapshotWritten } = await loadRegistry(
      { registrations: r.registrations, devices: r.devices, parties: r.parties },
      {
        maxRejectRatio: r.maxRejectRatio, onProgress: progressPrinter(process.stderr),
        snapshots: { dir: r.snapshotDir, keep: r.snapshotsKept, use: false },
      },
    )
    if (process.stderr.isTTY) process.stderr.write('\n')
    process.stdout.write(formatLoadReport(report) + '\n')
    const w = await snapshotWritten
    if (!('file' in w)) {
      process.stderr.write(`registry compile failed: ${'error' in w ? w.error : w.skipped}\n`)
      return EXIT.FAILURE
    }
    process.stdout.write(`snapshot written: ${w.file} (${(w.bytes / 1048576).toFixed(1)} MiB in ${(w.ms / 1000).toFixed(2)} s)` +
      `${r.snapshots ? '' : '; registry.snapshots is false, so the gateway does not read it'}\n`)
    return EXIT.OK
  } catch (err) {
    if (process.stderr.isTTY) process.stderr.write('\n')
    const e = err as { code?: string; message: string }
    process.stderr.write(`registry compile failed${e.code ? ` (${e.code})` : ''}:\n${e.message}\n`)
    return EXIT.FAILURE
  }
}
