// DUIS traffic corpus for benches: the valid fixtures plus builder-generated documents in a
// realistic mix (device alerts ~60%, scheduled reads, DCC alerts, responses, a few signed).
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { buildDuisDocument, type DuisDocumentOptions } from '../../test/support/duis-builder.js'

const fixtures = fileURLToPath(new URL('../../test/fixtures/duis/', import.meta.url))

/** Deterministic LCG so every run measures the same corpus. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32)
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0').toUpperCase()

export function generatedDocuments(count: number, seed = 42): Buffer[] {
  const r = rng(seed)
  const prefixes = ['sr', 'default', 'd', 'ns2']
  const out: Buffer[] = []
  for (let k = 0; k < count; k++) {
    const device = `00-12-34-56-${hex2((k >> 16) & 255)}-${hex2((k >> 8) & 255)}-${hex2(k & 255)}-${hex2(Math.floor(r() * 256))}`
    const user = r() < 0.8 ? '90-B3-D5-1F-30-01-00-00' : '90-B3-D5-1F-30-03-00-00'
    const counter = BigInt(Math.floor(r() * 2 ** 40)) * 1000n + BigInt(k)
    const when = new Date(Date.UTC(2025, 2, 1) + Math.floor(r() * 30 * 86400_000)).toISOString()
    const x = r()
    const base: Partial<DuisDocumentOptions> = {
      prefix: prefixes[Math.floor(r() * prefixes.length)]!, pretty: r() < 0.3, signature: r() < 0.1,
      device, recipient: user, counter, responseDateTime: when, responseId: `${device}:${user}:${counter}`,
    }
    let opts: DuisDocumentOptions
    if (x < 0.6) opts = { ...base, kind: 'device_alert', alertCode: ['8F0F', '8F0A', '810D', '8F35', '81AA'][Math.floor(r() * 5)]! }
    else if (x < 0.85) opts = { ...base, kind: 'scheduled_read' }
    else if (x < 0.93) opts = { ...base, kind: 'dcc_alert', responseId: `90-B3-D5-1F-30-00-00-02:${user}:${counter}`, mpxns: [String(1200000000000 + k)] }
    else opts = { ...base, kind: 'response', responseId: undefined, requestId: `${user}:${device}:${counter}`,
      inventory: [{ deviceId: device, deviceType: 'ESME', importMPxN: String(1400000000000 + k) }, { deviceId: `${device.slice(0, -2)}00`, deviceType: 'CHF' }] }
    out.push(Buffer.from(buildDuisDocument(opts)))
  }
  return out
}

export function fixtureDocuments(): Buffer[] {
  return readdirSync(fixtures).filter((f) => f.endsWith('.xml')).sort().map((f) => readFileSync(fixtures + f))
}

export function duisCorpus(generated = 3000): Buffer[] {
  return [...fixtureDocuments(), ...generatedDocuments(generated)]
}
