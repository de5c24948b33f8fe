import { formatLoadReport, loadRegistry } from '../registry/index.js'
import { configFrom, EXIT } from './common.js'

/** `registry check`: loads every registry file, prints counts, rejected rows and memory; exit 1 on a fatal error. */
export async function registryCheck(opts: { config?: string }): Promise<number> {
  const config = configFrom(opts)
  const r = config.registry
  try {
    const { report } = await loadRegistry(
      { registrations: r.registrations, devices: r.devices, parties: r.parties },
      { maxRejectRatio: r.maxRejectRatio },
    )
    process.stdout.write(formatLoadReport(report))
    return EXIT.OK
  } catch (err) {
    const e = err as { code?: string; message: string }
    process.stderr.write(`registry check failed${e.code ? ` (${e.code})` : ''}:\n${e.message}\n`)
    return EXIT.FAILURE
  }
}
