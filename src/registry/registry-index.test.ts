// The compact index through the RegistryIndex interface (docs/architecture.md): what callers need
// (device links by status for the install-code duty, per-MPxN facts) is on the interface, answered
// with the delta overlay taken into account; lookups of one index leave another's state alone; the
// mpxn_role shares the status byte (packed-device-table.ts) without changing either answer.
import { dirname, join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { writeWorld } from '../../test/fixtures/registry/world.js'
import { applyDelta } from './delta.js'
import { loadRegistry } from './load.js'
import { parseDay } from './day.js'
import { CompactRegistry, DEVICE_STATUSES, DEVICE_TYPES } from './registry-index.js'
import { compactSnapshot } from './compact.js'
import { metaOf, MPXN_ROLE_EXPORT, MPXN_ROLE_IMPORT, roleAt, statusAt, typeAt, type PackedDeviceTable } from './packed-device-table.js'

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
  it('holds every device type, status and mpxn_role', () => {
    const t = { meta: new Uint8Array(1) } as unknown as PackedDeviceTable
    for (let type = 1; type <= DEVICE_TYPES.length; type++)
      for (let status = 0; status <= DEVICE_STATUSES.length; status++)
        for (const role of [MPXN_ROLE_IMPORT, MPXN_ROLE_EXPORT]) {
          t.meta[0] = metaOf(type, status, role)
          expect([typeAt(t, 0), statusAt(t, 0), roleAt(t, 0)]).toEqual([type, status, role])
        }
  })
})

describe('link order of a device with several MPxNs (docs/registry.md, "Link order")', () => {
  // two devices name the same five MPxNs in opposite orders: an order that does not come from the
  // file (MPxN, hash slot, permuted key) gives both the same order, so one of them fails
  const M = ['1200012345679', '1300012345670', '1400012345671', '1500012345672', '1600012345673']
  const X = '00-12-34-56-78-AB-CD-11'
  const Y = '00-12-34-56-78-AB-CD-12'
  const regs = M.map((m) => `${m},ACME,2023-01-01`).join('\n')
  const devs = [
    ...M.map((m) => `${X},CHF,${m},Commissioned,import`),
    ...[...M].reverse().map((m) => `${Y},CHF,${m},Commissioned,import`),
    `${X},CHF,${M[0]},Commissioned,export`, // a duplicate row: the first row's place, the later row's role
  ].join('\n')

  it('is the order of the device rows in devices.csv, in memory, in a snapshot, after a delta and a compaction', async () => {
    const files = writeWorld(regs, devs)
    const snapshots = { dir: join(dirname(files.devices), 'snap'), keep: 1 }
    const built = await loadRegistry(files, { maxRejectRatio: 0, inThread: true, snapshots })
    expect(await built.snapshotWritten).toMatchObject({ file: expect.any(String) })
    const read = await loadRegistry(files, { maxRejectRatio: 0, inThread: true, snapshots })
    expect(read.report.source).toBe('snapshot')
    for (const ix of [built.index, read.index]) {
      expect(ix.mpxnsOfDevice(X)).toEqual(M)
      expect(ix.mpxnRolesOfDevice(X)).toEqual(['export', 'import', 'import', 'import', 'import'])
      expect(ix.mpxnsOfDevice(Y)).toEqual([...M].reverse())
      expect(ix.deviceMpxnFacts(Y, { day: '2025-01-01', dayNumber: parseDay('2025-01-01') }, undefined)!.map((f) => f.mpxn)).toEqual([...M].reverse())
    }
    // a delta: an added link goes after the device's links, a re-added one keeps its place
    const d = await applyDelta(built.index, 'links.csv', Buffer.from(
      `op,device_id,device_type,mpxn,device_status,mpxn_role\nadd,${Y},CHF,1700012345674,Commissioned,import\nadd,${Y},CHF,${M[2]},Commissioned,import\nremove,${X},CHF,${M[1]}\n`))
    const want = [...[...M].reverse(), '1700012345674']
    expect(d.index.mpxnsOfDevice(Y)).toEqual(want)
    expect(d.index.mpxnsOfDevice(X)).toEqual([M[0], ...M.slice(2)])
    const c = new CompactRegistry(compactSnapshot(d.index.toShared()))
    expect(c.hasOverlay).toBe(false)
    expect(c.mpxnsOfDevice(Y)).toEqual(want)
    expect(c.mpxnsOfDevice(X)).toEqual([M[0], ...M.slice(2)])
    expect(c.mpxnRolesOfDevice(X)).toEqual(['export', 'import', 'import', 'import'])
  })
})
