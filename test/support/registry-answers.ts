// Every answer a registry index gives on a bench world (bench/world.ts): each MPxN's periods, each
// device's MPxNs, roles, type and status, and lookupFacts for an alert from it. Two indexes that
// answer the same here decide the same for every key (snapshot and build-path tests).
import { deviceIdOf, mpanOf, mprnOf, type WorldManifest } from '../../bench/world.js'
import type { Envelope } from '../../src/envelope/index.js'
import type { CompactRegistry } from '../../src/registry/index.js'
import { deviceAlertEnvelope } from './envelopes.js'

/** What is asked of an index (structural: the source build's or the compiled one's). */
type AnsweringIndex = Pick<CompactRegistry, 'periods' | 'periodAt' | 'mpxnsOfDevice' | 'mpxnRolesOfDevice' | 'deviceType' | 'deviceStatus'>

function alert(device: string, i: number): Envelope {
  return deviceAlertEnvelope(Date.UTC(2025, 2, 14, 8, 0, i % 60), { responseId: { raw: '', originator: device, target: '90-B3-D5-1F-30-10-00-00', counter: String(i) } })
}

/**
 * `extraDevices` devices past the world's own (rows a test appended); `extraDays` of `extraMpxn`
 * asked with periodAt. `lookupFacts` is the build's own (source or dist).
 */
export function registryAnswers<I extends AnsweringIndex>(
  ix: I,
  m: WorldManifest,
  lookupFacts: (e: Envelope, ix: I) => unknown,
  extra: { devices?: number; mpxn?: string; days?: string[] } = {},
): string[] {
  const out: string[] = []
  for (let a = 0; a < m.mpans + 2; a++) out.push(JSON.stringify(ix.periods(mpanOf(a))))
  for (let g = 0; g < m.mprns + 2; g++) out.push(JSON.stringify(ix.periods(mprnOf(g))))
  for (const day of extra.days ?? []) out.push(JSON.stringify(ix.periodAt(extra.mpxn!, day) ?? null))
  for (let c = 0; c < m.devices + (extra.devices ?? 0); c++) {
    const d = deviceIdOf(c)
    out.push(JSON.stringify([ix.mpxnsOfDevice(d), ix.mpxnRolesOfDevice(d), ix.deviceType(d), ix.deviceStatus(d), lookupFacts(alert(d, c), ix)]))
  }
  return out
}
