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
