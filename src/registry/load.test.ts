import { describe, expect, it } from 'vitest'
import { loadRegistry } from './load.js'
import { RegistryLoadError } from './errors.js'
import { formatLoadReport } from './report.js'
import { writeWorld } from '../../test/fixtures/registry/world.js'

const OPTS = { maxRejectRatio: 0.5 }
const DEVS = 'device_id,device_type,mpxn\n00-12-34-56-78-AB-CD-EF,ESME,1200012345679\n'

describe('loadRegistry', () => {
  it('loads the demo world with zero rejections', async () => {
    const d = new URL('../../examples/demo/', import.meta.url).pathname
    const { index, report } = await loadRegistry(
      { registrations: d + 'registrations.csv', devices: d + 'devices.csv', parties: d + 'parties.yaml' }, { maxRejectRatio: 0 })
    expect(report.files.map((f) => f.rejected)).toEqual([0, 0, 0])
    expect(report.checkDigitWarnings).toBe(0)
    expect(report.unknownMpidWarnings).toBe(0)
    expect(index.counts).toMatchObject({ registrations: 8, mpxns: 6, devices: 6, parties: 5 })
    expect(index.mpxnsOfDevice('00-12-34-56-78-ab-cd-f3')).toEqual(expect.arrayContaining(['1200012345679', '3938424403']))
    expect(formatLoadReport(report)).toMatch(/6 MPxNs, 8 periods/)
  })

  it('builds periods: CoS chain, explicit gap, boundaries', async () => {
    const w = writeWorld(
      '1200012345679,ACME,2020-01-01\n1200012345679,BRIT,2024-05-01\n1200012345679,CEEE,2025-02-03\n' +
      '7452731806,ACMG,2022-01-01,2023-01-01\n7452731806,BRIT,2023-06-01\n', DEVS)
    const { index } = await loadRegistry(w, OPTS) // no header row
    expect(index.periods('1200012345679')).toEqual([
      { mpid: 'ACME', from: '2020-01-01', to: '2024-04-30' },
      { mpid: 'BRIT', from: '2024-05-01', to: '2025-02-02' },
      { mpid: 'CEEE', from: '2025-02-03' },
    ])
    expect(index.periodAt('1200012345679', '2024-04-30')?.mpid).toBe('ACME')
    expect(index.periodAt('1200012345679', '2024-05-01')?.mpid).toBe('BRIT')
    expect(index.periodAt('1200012345679', '2024-05-02')?.mpid).toBe('BRIT')
    expect(index.periodAt('1200012345679', '2019-12-31')).toBeUndefined()
    expect(index.periodAt('7452731806', '2023-01-01')?.mpid).toBe('ACMG') // effective_to: the last day supplied
    expect(index.periodAt('7452731806', '2023-01-02')).toBeUndefined() // the gap
    expect(index.periodAt('7452731806', '2023-06-01')?.mpid).toBe('BRIT')
    expect(index.periods('9999999999')).toEqual([])
    expect(index.periods('01200012345679')).toEqual([]) // 14 chars: not an MPxN
  })

  // effective_to is the last day supplied (inclusive). Before the fix 14 March
  // fell between the two rows (periodAt undefined: unknown-mpxn) and the one-day overlap went
  // unreported.
  it('effective_to is inclusive: no hole before the next start; a one-day overlap is reported, the later start wins', async () => {
    const regs = [
      '1412345678901,ACME,2025-01-06,2025-03-14', // 1
      '1412345678901,BRIT,2025-03-15', //            2 starts the day after: no gap, no overlap
      '1200012345679,ACME,2025-01-06,2025-03-15', // 3 last day = next start: a one-day overlap
      '1200012345679,BRIT,2025-03-15', //            4
      '7452731806,ACMG,2025-01-06,2025-01-06', //    5 a one-day period
    ].join('\n')
    const { index, report } = await loadRegistry(writeWorld(regs, DEVS), OPTS)
    expect(index.periodAt('1412345678901', '2025-03-14')?.mpid).toBe('ACME')
    expect(index.periodAt('1412345678901', '2025-03-15')?.mpid).toBe('BRIT')
    expect(index.periods('1412345678901')[0]).toEqual({ mpid: 'ACME', from: '2025-01-06', to: '2025-03-14' })
    expect(index.periodAt('1200012345679', '2025-03-14')?.mpid).toBe('ACME')
    expect(index.periodAt('1200012345679', '2025-03-15')?.mpid).toBe('BRIT')
    expect(index.periodAt('7452731806', '2025-01-06')?.mpid).toBe('ACMG')
    expect(index.periodAt('7452731806', '2025-01-07')).toBeUndefined()
    expect(report.reasons).toEqual([])
    expect(report.endOverlaps).toBe(1)
    expect(report.overlapSamples).toEqual([{ file: expect.any(String), line: 3, reason: expect.stringMatching(/effective_to is on or after the next effective_from.*the later start wins.*\(see line 4\)/) }])
    expect(formatLoadReport(report)).toMatch(/1 row with effective_to on or after the next effective_from \(one-day overlap or more; the later start wins\)/)
  })

  it('rejects bad rows with file:line and keeps warnings as counts', async () => {
    const regs = [
      'mpxn,supplier_mpid,effective_from,effective_to', // 1
      '1200012345679,ACME,2024-01-01', //                    2 ok
      '12000123456x9,ACME,2024-01-01', //                    3 bad mpxn
      '1200012345679,AC,2024-01-01', //                      4 bad mpid
      '1312345678333,ACME,2023-02-29', //                    5 not a date
      '1312345678333,ACME,2023-02-01,2023-01-31', //         6 to before from
      '', //                                                 7 blank
      '1312345678333,ZZZZ,2023-02-01', //                    8 ok: bad check digit + unknown MPID
      '1200012345679,ACME', //                               9 columns
    ].join('\r\n')
    const w = writeWorld(regs, DEVS)
    const { index, report } = await loadRegistry(w, { maxRejectRatio: 0.9 })
    expect(report.reasons.map((r) => [r.line, r.file === w.registrations])).toEqual([[3, true], [4, true], [5, true], [6, true], [9, true]])
    expect(report.reasons[0]!.reason).toMatch(/mpxn "12000123456x9" is not 1–13 digits/)
    expect(report.reasons[3]!.reason).toBe('effective_to "2023-01-31" is before effective_from')
    expect(report.reasons[4]!.reason).toBe('expected 3 or 4 columns (mpxn,supplier_mpid,effective_from,effective_to), got 2')
    expect(report.checkDigitWarnings).toBe(1)
    expect(report.unknownMpidWarnings).toBe(1)
    expect(report.unknownMpids).toEqual(['ZZZZ'])
    expect(report.files[1]).toMatchObject({ rows: 7, loaded: 2, rejected: 5 })
    expect(index.periodAt('1312345678333', '2024-01-01')?.mpid).toBe('ZZZZ')
  })

  it('is fatal on an all-bad file and above the reject ratio', async () => {
    const bad = writeWorld('x,y,z\n', DEVS)
    await expect(loadRegistry(bad, OPTS)).rejects.toMatchObject({ code: 'DCCGW_ERR_REGISTRY_HEADER' })
    const allBad = writeWorld('1200012345679,ACME,2024-13-01\n12,ACME,x\n', DEVS)
    const err = await loadRegistry(allBad, OPTS).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RegistryLoadError)
    expect(err).toMatchObject({ code: 'DCCGW_ERR_REGISTRY_EMPTY', file: allBad.registrations })
    expect((err as Error).message).toContain(`${allBad.registrations}:1: effective_from`)
    const ratio = writeWorld('1200012345679,ACME,2024-01-01\n1200012345679,ACME,nope\n', DEVS)
    await expect(loadRegistry(ratio, { maxRejectRatio: 0.49 })).rejects.toMatchObject({ code: 'DCCGW_ERR_REGISTRY_REJECT_RATIO' })
    await expect(loadRegistry(ratio, { maxRejectRatio: 0.5 })).resolves.toBeTruthy()
    const badDevices = writeWorld('1200012345679,ACME,2024-01-01\n', '00-12-34,ESME,1200012345679\n')
    await expect(loadRegistry(badDevices, OPTS)).rejects.toMatchObject({ code: 'DCCGW_ERR_REGISTRY_EMPTY', file: badDevices.devices })
    const missing = { ...ratio, devices: ratio.devices + '.nope' }
    await expect(loadRegistry(missing, OPTS)).rejects.toMatchObject({ code: 'DCCGW_ERR_REGISTRY_READ' })
  })

  it('resolves overlapping and duplicate periods by rule, and reports them', async () => {
    const regs = [
      '1200012345679,ACME,2020-01-01', //            1
      '1200012345679,ACME,2020-01-01', //            2 exact duplicate: collapsed
      '1200012345679,BRIT,2022-01-01', //            3 same start as line 4: line 4 wins
      '1200012345679,CEEE,2022-01-01', //            4
      '7452731806,ACMG,2020-01-01,2023-01-01', //    5 runs past line 6's start: truncated
      '7452731806,BRIT,2021-01-01', //               6
      '1412345678901,ACME,2020-01-01', //            7 touching same-MPID periods merge
      '1412345678901,ACME,2021-01-01', //            8
    ].join('\n')
    const { index, report } = await loadRegistry(writeWorld(regs, DEVS), OPTS)
    expect(index.periods('1200012345679')).toEqual([
      { mpid: 'ACME', from: '2020-01-01', to: '2021-12-31' },
      { mpid: 'CEEE', from: '2022-01-01' },
    ])
    expect(index.periods('7452731806')).toEqual([
      { mpid: 'ACMG', from: '2020-01-01', to: '2020-12-31' },
      { mpid: 'BRIT', from: '2021-01-01' },
    ])
    expect(index.periods('1412345678901')).toEqual([{ mpid: 'ACME', from: '2020-01-01' }])
    expect(report.overlaps).toBe(3)
    expect(report.mergedPeriods).toBe(1)
    expect(report.overlapSamples.map((s) => s.line).sort()).toEqual([2, 4, 5])
    expect(report.overlapSamples.find((s) => s.line === 4)!.reason).toMatch(/later row in the file wins \(see line 3\)/)
  })

  it('rows the count pass counts but the fill pass rejects leave gaps that the build skips', async () => {
    // the count pass reads only the first field: these rows are counted in their bucket, then
    // rejected (bad type, bad MPxN, bad MPID, bad date) and their places stay empty
    const hex = (i: number) => i.toString(16).toUpperCase().padStart(2, '0')
    const dev = (i: number) => `00-12-34-56-78-AB-${hex(i >> 8)}-${hex(i & 255)}`
    const mpan = (i: number) => `19${String(i).padStart(11, '0')}`
    const regs: string[] = []
    const devs: string[] = []
    for (let i = 0; i < 300; i++) {
      regs.push(i % 7 === 3 ? `${mpan(i)},A!,2024-01-01` : i % 11 === 5 ? `${mpan(i)},ACME,2024-02-30` : `${mpan(i)},ACME,2024-01-01`)
      devs.push(i % 5 === 2 ? `${dev(i)},TOASTER,${mpan(i)}` : i % 13 === 4 ? `${dev(i)},ESME,12x` : `${dev(i)},ESME,${mpan(i)}`)
    }
    const { index, report } = await loadRegistry(writeWorld(regs.join('\n'), devs.join('\n')), { maxRejectRatio: 0.5 })
    const regOk = (i: number) => i % 7 !== 3 && i % 11 !== 5
    const devOk = (i: number) => i % 5 !== 2 && i % 13 !== 4
    expect(index.counts.mpxns).toBe(Array.from({ length: 300 }, (_, i) => i).filter(regOk).length)
    expect(index.counts.devices).toBe(Array.from({ length: 300 }, (_, i) => i).filter(devOk).length)
    for (let i = 0; i < 300; i++) {
      expect(index.periods(mpan(i)).length, `MPxN ${i}`).toBe(regOk(i) ? 1 : 0)
      expect(index.mpxnsOfDevice(dev(i)), `device ${i}`).toEqual(devOk(i) ? [mpan(i)] : undefined)
    }
    expect(report.files.map((f) => f.rejected)).toEqual([0, 300 - index.counts.mpxns, 300 - index.counts.devices])
  })

  it('reads .gz files, devices with status, unregistered MPxNs and any-case IDs', async () => {
    const devs = 'device_id,device_type,mpxn,device_status\n' +
      '00-12-34-56-78-ab-cd-ef,esme,1200012345679,Commissioned\n' +
      '00-12-34-56-78-AB-CD-F3,CHF,1200012345679,\n' +
      '00-12-34-56-78-AB-CD-F3,CHF,500301,\n' +
      '00-12-34-56-78-AB-CD-F4,GSME,500301,InstalledNotCommissioned\n' +
      '00-12-34-56-78-AB-CD-F5,TOASTER,500301\n'
    const w = writeWorld('mpxn,supplier_mpid,effective_from\n1200012345679,ACME,2024-01-01\n', devs, { gz: true })
    expect(w.devices.endsWith('.gz')).toBe(true)
    const { index, report } = await loadRegistry(w, OPTS)
    expect(report.reasons).toHaveLength(1)
    expect(report.reasons[0]).toMatchObject({ file: w.devices, line: 6 })
    expect(index.deviceType('00-12-34-56-78-AB-CD-EF')).toBe('ESME')
    expect(index.deviceStatus('00-12-34-56-78-AB-CD-EF')).toBe('Commissioned')
    expect(index.deviceStatus('00-12-34-56-78-AB-CD-F4')).toBe('InstalledNotCommissioned')
    expect(index.deviceStatus('00-12-34-56-78-AB-CD-F3')).toBeUndefined()
    expect([...index.mpxnsOfDevice('00-12-34-56-78-ab-cd-f3')!].sort()).toEqual(['1200012345679', '500301'])
    expect(index.mpxnsOfDevice('00-12-34-56-78-AB-CD-F4')).toEqual(['500301'])
    expect(index.mpxnsOfDevice('00-12-34-56-78-AB-CD-00')).toBeUndefined()
    expect(index.periods('500301')).toEqual([])
    expect(report.devicesWithUnregisteredMpxn).toBe(2)
    expect(index.partyByUserId('90-b3-d5-1f-30-01-00-01')).toMatchObject({ party: { id: 'ACME' }, role: 'GS' })
    expect(index.partyByMpid('brit')?.id).toBe('BRITE')
  })

  // devices.csv's optional 5th column mpxn_role, carried into the index per
  // device -> MPxN link (DeviceTable.role) and into the facts (MpxnFacts.role).
  it('reads mpxn_role (import | export, empty = import) and rejects bad roles', async () => {
    const devs = 'device_id,device_type,mpxn,device_status,mpxn_role\n' +
      '00-11-22-33-44-55-66-77,ESME,1200012345679,Commissioned,import\n' +
      '00-11-22-33-44-55-66-77,ESME,1412345678901,Commissioned,EXPORT\n' +
      '00-11-22-33-44-55-66-78,CHF,1200012345679,,\n' +
      '00-11-22-33-44-55-66-78,CHF,7452731806\n' +
      '00-11-22-33-44-55-66-79,GSME,7452731806,,export\n' + //  line 6: export needs an MPAN
      '00-11-22-33-44-55-66-7A,ESME,1200012345679,,both\n' //   line 7: not a role
    const regs = '1200012345679,ACME,2024-01-01\n1412345678901,ACME,2024-01-01\n7452731806,ACMG,2024-01-01\n'
    const { index, report } = await loadRegistry(writeWorld(regs, devs), OPTS)
    expect(report.reasons.map((r) => [r.line, r.reason])).toEqual([
      [6, 'mpxn_role export needs a 13-digit MPAN (mpxn "7452731806")'], [7, 'mpxn_role "both" is not import or export']])
    expect(report.exportMpanLinks).toBe(1)
    const meter = '00-11-22-33-44-55-66-77'
    const roles = Object.fromEntries(index.mpxnsOfDevice(meter)!.map((m, i) => [m, index.mpxnRolesOfDevice(meter)![i]]))
    expect(roles).toEqual({ '1200012345679': 'import', '1412345678901': 'export' })
    expect(index.mpxnRolesOfDevice('00-11-22-33-44-55-66-78')).toEqual(['import', 'import'])
    expect(formatLoadReport(report)).toMatch(/1 export MPAN,/)
    const badHeader = writeWorld(regs, 'device_id,device_type,mpxn,device_status,role\n')
    await expect(loadRegistry(badHeader, OPTS)).rejects.toMatchObject({ code: 'DCCGW_ERR_REGISTRY_HEADER' })
  })

  it('a reload builds a new index: a device that moved premises, old index untouched, failure leaves it', async () => {
    const regs = '1200012345679,ACME,2024-01-01\n1412345678901,ACME,2024-01-01\n'
    const a = await loadRegistry(writeWorld(regs, '00-12-34-56-78-AB-CD-EF,ESME,1200012345679\n'), OPTS)
    const b = await loadRegistry(writeWorld(regs, '00-12-34-56-78-AB-CD-EF,ESME,1412345678901\n'), OPTS)
    expect(a.index.mpxnsOfDevice('00-12-34-56-78-AB-CD-EF')).toEqual(['1200012345679'])
    expect(b.index.mpxnsOfDevice('00-12-34-56-78-AB-CD-EF')).toEqual(['1412345678901'])
    await expect(loadRegistry(writeWorld('garbage,,\n', ''), OPTS)).rejects.toBeInstanceOf(RegistryLoadError)
    expect(a.index.mpxnsOfDevice('00-12-34-56-78-AB-CD-EF')).toEqual(['1200012345679'])
    // duplicate device rows collapse
    const c = await loadRegistry(writeWorld(regs, '00-12-34-56-78-AB-CD-EF,ESME,1200012345679\n00-12-34-56-78-ab-cd-ef,ESME,1200012345679\n'), OPTS)
    expect(c.index.mpxnsOfDevice('00-12-34-56-78-AB-CD-EF')).toEqual(['1200012345679'])
    expect(c.report.overlaps).toBe(1)
  })

  it('shares its arrays: fromShared(toShared()) after a structured clone', async () => {
    const { index } = await loadRegistry(writeWorld('1200012345679,ACME,2024-01-01\n', DEVS), OPTS)
    const snap = structuredClone(index.toShared())
    expect(snap.main.low.buffer).toBeInstanceOf(SharedArrayBuffer)
    expect(snap.devices.ref.buffer).toBeInstanceOf(SharedArrayBuffer)
    const { CompactRegistry } = await import('./registry-index.js')
    const copy = CompactRegistry.fromShared(snap)
    expect(copy.periodAt('1200012345679', '2025-01-01')?.mpid).toBe('ACME')
    expect(copy.mpxnsOfDevice('00-12-34-56-78-AB-CD-EF')).toEqual(['1200012345679'])
  })
})
