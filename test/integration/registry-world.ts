// Two registry worlds for the hot-reload tests (docs/registry.md), on top of the demo world.
// N devices D_i. World A: D_i -> MPAN X_i, supplied by ACME since 2024-01-01.
// World B: D_i -> MPAN Y_i, ACME until the supply start date 2025-03-01, then BRIT.
// A non-critical alert from D_i to ACME on 2025-03-14 is deliver/responsible under A and
// drop/stale-cos-noncritical under B. A mixed index (devices of one world, periods of the other)
// finds no registration for the MPxN (X_i only in A, Y_i only in B): quarantine/unknown-mpxn,
// which is neither, so a decision made on a half-swapped index cannot pass for a clean one.
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildDuisDocument } from '../support/duis-builder.js'
import { ACME_USER, DEMO, type World } from './harness.js'

export const DEVICES = 40
const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0')
export const deviceId = (i: number) => `00-12-34-56-AA-00-${hex(i >> 8)}-${hex(i & 255)}`
const mpanX = (i: number) => `19${String(i).padStart(11, '0')}`
const mpanY = (i: number) => `21${String(i).padStart(11, '0')}`

export type WorldName = 'A' | 'B'
export const EXPECTED: Record<WorldName, { decision: string; reason: string }> = {
  A: { decision: 'deliver', reason: 'responsible' },
  B: { decision: 'drop', reason: 'stale-cos-noncritical' },
}

function files(name: WorldName): { registrations: string; devices: string } {
  const regs = [readFileSync(join(DEMO, 'registrations.csv'), 'utf8').trimEnd()]
  const devs = [readFileSync(join(DEMO, 'devices.csv'), 'utf8').trimEnd()]
  for (let i = 0; i < DEVICES; i++) {
    if (name === 'A') {
      regs.push(`${mpanX(i)},ACME,2024-01-01`)
      devs.push(`${deviceId(i)},ESME,${mpanX(i)}`)
    } else {
      regs.push(`${mpanY(i)},ACME,2023-06-01`, `${mpanY(i)},BRIT,2025-03-01`)
      devs.push(`${deviceId(i)},ESME,${mpanY(i)}`)
    }
  }
  return { registrations: regs.join('\n') + '\n', devices: devs.join('\n') + '\n' }
}

/** Replace the world's registry files (each by rename: a load never reads a half-written file). */
export function writeRegistry(world: World, name: WorldName): void {
  const f = files(name)
  for (const [file, text] of Object.entries(f)) {
    const path = join(world.dir, `${file}.csv`)
    writeFileSync(`${path}.tmp`, text)
    renameSync(`${path}.tmp`, path)
  }
}

/** A registrations.csv with no valid row: fatal (DCCGW_ERR_REGISTRY_EMPTY), the old index stays. */
export function breakRegistry(world: World): void {
  const path = join(world.dir, 'registrations.csv')
  writeFileSync(`${path}.tmp`, 'mpxn,supplier_mpid,effective_from\nnot-an-mpxn,??,yesterday\n')
  renameSync(`${path}.tmp`, path)
}

let counter = 5_000_000n
/** A non-critical device alert (GBCS 0xDD, code 8F01: not safety-listed, not consumption data). */
export function alertFrom(i: number): string {
  counter++
  const device = deviceId(i)
  return buildDuisDocument({
    kind: 'device_alert', alertCode: '8F01', device, recipient: ACME_USER, counter,
    responseDateTime: '2025-03-14T08:15:30.120Z', gbcsCritical: false, responseId: `${device}:${ACME_USER}:${counter}`,
  })
}

export async function reload(url: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}/admin/registry/reload`, { method: 'POST', headers: { authorization: 'Bearer test-token' } })
  return { status: res.status, json: await res.json() }
}

export async function metric(url: string, line: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const hit = text.split('\n').find((l) => l.startsWith(line + ' '))
  return hit === undefined ? 0 : Number(hit.slice(line.length + 1))
}
