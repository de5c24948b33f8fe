// The compact index through the RegistryIndex interface (docs/architecture.md): what callers need
// (device links by status for the install-code duty, per-MPxN facts) is on the interface, answered
// with the delta overlay taken into account; lookups of one index leave another's state alone; the
// mpxn_role shares the status byte (device-table.ts) without changing either answer.
import { beforeAll, describe, expect, it } from 'vitest'
import { writeWorld } from '../../test/fixtures/registry/world.js'
import { applyDelta } from './delta.js'
import { loadRegistry } from './load.js'
import { parseDay } from './day.js'
import { DEVICE_STATUSES, DEVICE_TYPES, type CompactRegistry } from './registry-index.js'
import { metaOf, MPXN_ROLE_EXPORT, MPXN_ROLE_IMPORT, NO_ROW, roleAt, statusAt, typeAt, type DeviceTable } from './device-table.js'

const A = '00-12-34-56-78-AB-CD-01'
const B = '00-12-34-56-78-AB-CD-02'
const C = '00-12-34-56-78-AB-CD-03'
const MPAN = '1200012345679'
const EXPORT_MPAN = '1800021679848'
const MPRN = '3938424403'

let one: CompactRegistry
let two: CompactRegistry
beforeAll(async () => {
  const regs = [`${MPAN},ACME,2023-01-01`, `${MPAN},BRIT,2025-03-01`, `${EXPORT_MPAN},CEEE,2020-01-01`, `${MPRN},ACMG,2024-01-01`].join('\n')
  const devs = [
    `${A},ESME,${MPAN},InstalledNotCommissioned,import`, `${A},ESME,${EXPORT_MPAN},InstalledNotCommissioned,export`,
    `${B},GSME,${MPRN},Commissioned`, `${C},ESME,${MPAN},Suspended,import`,
  ].join('\n')
  one = (await loadRegistry(writeWorld(regs, devs), { maxRejectRatio: 0, inThread: true })).index
  two = (await loadRegistry(writeWorld(`${MPRN},BRIT,2019-01-01\n${MPRN},ACMG,2020-01-01\n${MPRN},CEEE,2021-01-01`, `${B},GSME,${MPRN}`), { maxRejectRatio: 0, inThread: true })).index
})

describe('CompactRegistry through RegistryIndex', () => {
  it('lists the device links of a status, with statuses and roles both kept in the one status byte', () => {
    const links = one.deviceLinksWithStatus('InstalledNotCommissioned')
    expect(links).toHaveLength(2)
    expect(links).toEqual(expect.arrayContaining([{ deviceId: A, mpxn: MPAN }, { deviceId: A, mpxn: EXPORT_MPAN }]))
    expect(one.mpxnRolesOfDevice(A)).toEqual(one.mpxnsOfDevice(A)!.map((m) => (m === EXPORT_MPAN ? 'export' : 'import')))
    expect(one.deviceStatus(A)).toBe('InstalledNotCommissioned')
    expect(one.deviceStatus(C)).toBe('Suspended')
    expect(one.deviceLinksWithStatus('Suspended')).toEqual([{ deviceId: C, mpxn: MPAN }])
    expect(one.deviceLinksWithStatus('Recovered')).toEqual([])
  })

  it('answers device links by status with a delta overlay: the overlay replaces the devices it changed', async () => {
    const d = await applyDelta(one, 'd.csv', Buffer.from(
      `op,device_id,device_type,mpxn,device_status,mpxn_role\nadd,${C},ESME,${MPAN},InstalledNotCommissioned\nremove,${A},ESME,${EXPORT_MPAN}\n`))
    const links = d.index.deviceLinksWithStatus('InstalledNotCommissioned')
    expect(links).toHaveLength(2)
    expect(links).toEqual(expect.arrayContaining([{ deviceId: A, mpxn: MPAN }, { deviceId: C, mpxn: MPAN }]))
    expect(d.index.deviceLinksWithStatus('Suspended')).toEqual([])
  })

  it('keeps each index its own lookup state: a lookup on another index does not move this one', () => {
    const day = parseDay('2025-06-01')
    expect(one.slotOf(MPRN)).toBeGreaterThanOrEqual(0)
    expect(two.slotOf(MPRN)).toBeGreaterThanOrEqual(0) // three periods in `two`, one in `one`
    expect(one.periodMpid(one.periodInRange(day))).toBe(one.mpidNames.indexOf('ACMG'))
    expect(two.periodMpid(two.periodInRange(day))).toBe(two.mpidNames.indexOf('CEEE'))
  })
})

describe('device meta byte', () => {
  it('holds every device type, status and mpxn_role, and never equals the unfilled-row marker', () => {
    const t = { meta: new Uint8Array(1) } as unknown as DeviceTable
    for (let type = 1; type <= DEVICE_TYPES.length; type++)
      for (let status = 0; status <= DEVICE_STATUSES.length; status++)
        for (const role of [MPXN_ROLE_IMPORT, MPXN_ROLE_EXPORT]) {
          t.meta[0] = metaOf(type, status, role)
          expect([typeAt(t, 0), statusAt(t, 0), roleAt(t, 0)]).toEqual([type, status, role])
          expect(t.meta[0]).not.toBe(NO_ROW)
        }
  })
})
