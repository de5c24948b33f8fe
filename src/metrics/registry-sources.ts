import { stat } from 'node:fs/promises'
import type { RegistryFile } from './gateway-metrics.js'

/**
 * Modification times (ms) of the registry files, read just before a load so that the exported age
 * is never younger than the data actually loaded. A file that cannot be stat'ed is left out (the
 * load itself reports why). Registry freshness = time() - dccgw_registry_source_timestamp_seconds:
 * it grows both when the daily extract stops arriving and when the gateway stops reloading it.
 */
export async function registrySourceTimes(paths: Record<RegistryFile, string>): Promise<Partial<Record<RegistryFile, number>>> {
  const out: Partial<Record<RegistryFile, number>> = {}
  await Promise.all(
    (Object.keys(paths) as RegistryFile[]).map(async (file) => {
      try {
        out[file] = (await stat(paths[file])).mtimeMs
      } catch {
        // missing or unreadable: loadRegistry fails with the file name
      }
    }),
  )
  return out
}
