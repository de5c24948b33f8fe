// Compiled snapshots. A snapshot load answers exactly as a build from the files for
// every key of a generated world; corrupt, truncated and stale snapshots are refused (with the
// reason) and the files are used, and a fresh snapshot is written.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deviceIdOf, generateWorld, mpanOf, mprnOf, type WorldManifest } from '../../bench/world.js'
import { loadRegistry } from './load.js'
import { lookupFacts } from './lookup.js'
import type { CompactRegistry } from './registry-index.js'
import { listSnapshots } from './snapshot-store.js'
import { readSnapshotFile, SNAPSHOT_FORMAT } from './snapshot-file.js'
import { INDEX_LAYOUT } from './registry-index.js'
import { registryAnswers } from '../../test/support/registry-answers.js'

let dir: string
let m: WorldManifest
let paths: { registrations: string; devices: string; parties: string }
const snapDir = () => join(dir, 'snapshots')
const opts = () => ({ maxRejectRatio: 0.01, snapshots: { dir: snapDir(), keep: 2 } })

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dccgw-snapshot-'))
  m = await generateWorld({ mpxns: 20_000, seed: 3 }, join(dir, 'world'))
  paths = { registrations: join(dir, 'world', 'registrations.csv'), devices: join(dir, 'world', 'devices.csv'), parties: join(dir, 'world', 'parties.yaml') }
  // an unregistered MPxN named by a device (the orphan table), and a device status; an export MPAN
  // (devices.csv mpxn_role) beside an import one
  appendFileSync(paths.devices, `${deviceIdOf(m.devices + 5)},ESME,1999999999993,Commissioned\n` +
    `${deviceIdOf(m.devices + 4)},ESME,${mpanOf(1)},,import\n${deviceIdOf(m.devices + 4)},ESME,${mpanOf(2)},,export\n`)
  // effective_to is the last day supplied (inclusive): an explicit end and a one-day period
  appendFileSync(paths.registrations, '1412345678901,E000,2020-01-01,2025-03-13\n1412345678901,E001,2025-03-14,2025-03-14\n')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Every MPxN's periods, every device's MPxNs/type/status and lookupFacts for an alert from it. */
const answers = (ix: CompactRegistry) =>
  registryAnswers(ix, m, lookupFacts, { devices: 6, mpxn: '1412345678901', days: ['2025-03-13', '2025-03-14', '2025-03-15'] })

describe('compiled registry snapshots', () => {
  let fromFiles: string[]

  it('a build from files writes a snapshot; the next load reads it and answers the same for every key', async () => {
    const built = await loadRegistry(paths, opts())
    expect(built.report.source).toBe('files')
    const w = await built.snapshotWritten
    expect(w).toMatchObject({ file: expect.stringMatching(/registry-\d{8}T\d{9}Z-\d+\.snap$/) })
    expect(listSnapshots(snapDir())).toHaveLength(1)
    fromFiles = answers(built.index)

    const again = await loadRegistry(paths, opts())
    expect(again.report.source).toBe('snapshot')
    expect(again.report.snapshot).toBe((w as { file: string }).file)
    expect(await again.snapshotWritten).toEqual({ skipped: 'loaded from a snapshot' })
    expect(again.index.counts).toEqual(built.index.counts)
    expect(again.index.byteSize()).toBe(built.index.byteSize())
    expect(answers(again.index)).toEqual(fromFiles)
    expect(again.index.mpxnsOfDevice(deviceIdOf(m.devices + 5))).toEqual(['1999999999993'])
    expect(again.index.deviceStatus(deviceIdOf(m.devices + 5))).toBe('Commissioned')
    const twoRoles = deviceIdOf(m.devices + 4)
    expect(Object.fromEntries(again.index.mpxnsOfDevice(twoRoles)!.map((x, i) => [x, again.index.mpxnRolesOfDevice(twoRoles)![i]])))
      .toEqual({ [mpanOf(1)]: 'import', [mpanOf(2)]: 'export' })
    expect(again.report.exportMpanLinks).toBe(built.report.exportMpanLinks)
    expect(again.report.exportMpanLinks).toBe(1)
    expect(again.index.periods('1412345678901')).toEqual([{ mpid: 'E000', from: '2020-01-01', to: '2025-03-13' }, { mpid: 'E001', from: '2025-03-14', to: '2025-03-14' }])
    expect(again.index.periodAt('1412345678901', '2025-03-15')).toBeUndefined()
    // the arrays are byte for byte those of the build
    const a = built.index.toShared()
    const b = again.index.toShared()
    for (const t of ['main', 'orphans', 'devices'] as const)
      for (const [k, v] of Object.entries(a[t])) expect([t, k, (b[t] as unknown as Record<string, unknown>)[k]]).toEqual([t, k, v])
  })

  it('refuses a corrupt snapshot (a flipped byte in an array), uses the files and writes a new one', async () => {
    const [file] = listSnapshots(snapDir())
    const h = (await readSnapshotFile(file!, INDEX_LAYOUT)).header
    const periods = h.arrays.find((e) => e.table === 'main' && e.name === 'periods')!
    const bytes = readFileSync(file!)
    bytes[periods.offset + Math.min(100, 4 * periods.length - 1)]! ^= 0x10
    writeFileSync(file!, bytes)
    const r = await loadRegistry(paths, opts())
    expect(r.report.source).toBe('files')
    expect(r.report.snapshotsRefused).toEqual([{ file, reason: 'corrupt: checksum mismatch in main.periods' }])
    expect(await r.snapshotWritten).toMatchObject({ file: expect.any(String) })
    expect(answers(r.index)).toEqual(fromFiles)
    const next = await loadRegistry(paths, opts())
    expect(next.report.source).toBe('snapshot')
    expect(next.report.snapshotsRefused).toEqual([])
  })

  it('refuses a truncated snapshot, and a corrupt header', async () => {
    const [file] = listSnapshots(snapDir())
    truncateSync(file!, statSync(file!).size - 1000)
    const r = await loadRegistry(paths, opts())
    expect(r.report.source).toBe('files')
    expect(r.report.snapshotsRefused[0]).toEqual({ file, reason: expect.stringMatching(/^truncated: \d+ of \d+ bytes$/) })
    await r.snapshotWritten

    const [newest] = listSnapshots(snapDir())
    const bytes = readFileSync(newest!)
    bytes[40]! ^= 0x01 // inside the header JSON
    writeFileSync(newest!, bytes)
    const r2 = await loadRegistry(paths, opts())
    expect(r2.report.snapshotsRefused[0]).toEqual({ file: newest, reason: 'corrupt: header checksum mismatch' })
    expect(answers(r2.index)).toEqual(fromFiles)
    await r2.snapshotWritten
    expect(listSnapshots(snapDir())).toHaveLength(2) // registry.snapshotsKept
  })

  it('refuses a stale snapshot: a changed source, also one that kept its size and mtime', async () => {
    const T = 1_700_000_000 // whole seconds: what a copy that keeps times (cp -p, rsync -t) sets
    utimesSync(paths.registrations, T, T)
    const touched = await loadRegistry(paths, opts())
    expect(touched.report.snapshotsRefused[0]!.reason).toMatch(/^stale: .*registrations\.csv was modified at 2023-11-14T22:13:20\.000Z/)
    await touched.snapshotWritten
    expect((await loadRegistry(paths, opts())).report.source).toBe('snapshot')
    // same size, same mtime, one MPID changed: only the CRC tells
    const st = statSync(paths.registrations)
    const text = readFileSync(paths.registrations, 'latin1')
    const at = text.indexOf(',E000,')
    writeFileSync(paths.registrations, text.slice(0, at) + ',E001,' + text.slice(at + 6), 'latin1')
    utimesSync(paths.registrations, T, T)
    expect(statSync(paths.registrations).size).toBe(st.size)
    const r = await loadRegistry(paths, opts())
    expect(r.report.source).toBe('files')
    expect(r.report.snapshotsRefused[0]!.reason).toMatch(/^stale: .*registrations\.csv has the same size and time but different content/)
    await r.snapshotWritten
    const mpxn = text.slice(text.lastIndexOf('\n', at) + 1, at)
    expect(r.index.periods(mpxn).some((p) => p.mpid === 'E001')).toBe(true)

    appendFileSync(paths.registrations, '1200012345679,E000,2024-01-01\n')
    const r2 = await loadRegistry(paths, opts())
    expect(r2.report.snapshotsRefused[0]!.reason).toMatch(/^stale: .*registrations\.csv is \d+ bytes, was \d+$/)
    expect(r2.index.periods('1200012345679')).toEqual([{ mpid: 'E000', from: '2024-01-01' }])
    await r2.snapshotWritten
    expect((await loadRegistry(paths, opts())).report.source).toBe('snapshot')
  })

  it('refuses a snapshot of another index layout or format, and one built from other files', async () => {
    const [file] = listSnapshots(snapDir())
    await expect(readSnapshotFile(file!, 'another layout')).rejects.toMatchObject({ kind: 'stale', detail: expect.stringMatching(/^index layout/) })
    const bytes = readFileSync(file!)
    bytes.writeUInt32LE(SNAPSHOT_FORMAT + 1, 8)
    writeFileSync(file!, bytes)
    const r = await loadRegistry(paths, opts())
    expect(r.report.snapshotsRefused[0]!.reason).toBe(`stale: format ${SNAPSHOT_FORMAT + 1}, this version reads format ${SNAPSHOT_FORMAT}`)
    await r.snapshotWritten
    const other = { ...paths, devices: join(dir, 'world', 'devices-copy.csv') }
    writeFileSync(other.devices, readFileSync(paths.devices))
    const r2 = await loadRegistry(other, opts())
    expect(r2.report.source).toBe('files')
    expect(r2.report.snapshotsRefused[0]!.reason).toMatch(/^stale: devices is now .*devices-copy\.csv, the snapshot was built from .*devices\.csv$/)
    await r2.snapshotWritten
  })
})
