// The build from the files parses each CSV once into partition temp files (partition-files.ts):
// however many partitions, the index and the report are the same; the temp files go to the
// snapshot folder (else beside registrations.csv) and are removed after, also after a failure.
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deviceIdOf, generateWorld, mpanOf, mprnOf, type WorldManifest } from '../../bench/world.js'
import { RegistryLoadError } from './errors.js'
import { loadRegistryHere, type LoadOptions } from './load-here.js'
import { lookupFacts } from './lookup.js'
import { registryAnswers } from '../../test/support/registry-answers.js'

let dir: string
let m: WorldManifest
let paths: { registrations: string; devices: string; parties: string }
const temps = (d: string) => readdirSync(d).filter((f) => f.startsWith('.registry-build-'))

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dccgw-partitions-'))
  m = await generateWorld({ mpxns: 6_000, seed: 5 }, join(dir, 'world'))
  paths = { registrations: join(dir, 'world', 'registrations.csv'), devices: join(dir, 'world', 'devices.csv'), parties: join(dir, 'world', 'parties.yaml') }
  // every rule the build applies, spread over the file: duplicate and overlapping periods, a rejected
  // row, duplicate device rows (another role), a device of two types, orphans, export links
  appendFileSync(paths.registrations, `${mpanOf(3)},E000,2020-01-01\n${mpanOf(3)},E000,2020-01-01\n` +
    `${mprnOf(7)},E001,2019-01-01,2030-01-01\n${mprnOf(7)},E000,2024-01-01\nnot-a-number,E000,2020-01-01\n`)
  appendFileSync(paths.devices, `${deviceIdOf(2)},ESME,${mpanOf(2)},,export\n${deviceIdOf(9)},GSME,${mprnOf(9)},Commissioned\n` +
    `${deviceIdOf(m.devices + 1)},ESME,1999999999993\n${deviceIdOf(m.devices + 1)},ESME,${mpanOf(5)}\n${deviceIdOf(m.devices + 2)},CHF,1888888888881\n` +
    `${deviceIdOf(m.devices + 1)},ESME,1999999999993,,import\n`)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const base: LoadOptions = { maxRejectRatio: 0.01, inThread: true }
/** the report without timings and memory (they differ run to run) */
const stable = (r: Awaited<ReturnType<typeof loadRegistryHere>>['report']) => ({
  ...r, loadMs: 0, memory: null, files: r.files.map((f) => ({ ...f, ms: 0 })),
})

describe('build from the files in partitions', () => {
  it('gives the same arrays, answers and report with 1, 16 or 256 partitions per file', async () => {
    const one = await loadRegistryHere(paths, { ...base, partitionBits: 0 })
    // the rules were met: the report counts them
    expect(one.report.overlaps).toBeGreaterThan(2)
    expect(one.report.reasons).toHaveLength(1)
    expect(one.report.devicesWithUnregisteredMpxn).toBe(3)
    expect(one.report.overlapSamples.every((s) => s.line > 0)).toBe(true)
    const want = registryAnswers(one.index, m, lookupFacts, { devices: 3 })
    for (const bits of [4, 8]) {
      const many = await loadRegistryHere(paths, { ...base, partitionBits: bits })
      const { loadedAt: _a, ...arrays } = many.index.toShared()
      const { loadedAt: _b, ...expected } = one.index.toShared()
      expect(arrays).toEqual(expected)
      expect(stable(many.report)).toEqual(stable(one.report))
      expect(registryAnswers(many.index, m, lookupFacts, { devices: 3 })).toEqual(want)
    }
    // a device's links in devices.csv order, the duplicate collapsed into its first row's place
    expect(one.index.mpxnsOfDevice(deviceIdOf(m.devices + 1))).toEqual(['1999999999993', mpanOf(5)])
  })

  it('puts its temp files in the snapshot folder, else beside registrations.csv, and removes them', async () => {
    const snaps = join(dir, 'snaps')
    await loadRegistryHere(paths, { ...base, partitionBits: 3, snapshots: { dir: snaps, keep: 1, use: false } })
    expect(existsSync(snaps) ? temps(snaps) : []).toEqual([])
    await loadRegistryHere(paths, { ...base, partitionBits: 3 })
    expect(temps(join(dir, 'world'))).toEqual([])
  })

  it('puts them beside registrations.csv when the snapshot folder cannot be made (the load goes on)', async () => {
    const notADir = join(dir, 'a-file')
    writeFileSync(notADir, 'x')
    const r = await loadRegistryHere(paths, { ...base, partitionBits: 2, snapshots: { dir: join(notADir, 'snaps'), keep: 1, use: false } })
    expect(r.report.source).toBe('files')
    expect(r.index.counts.mpxns).toBe(m.mpans + m.mprns)
    expect(temps(join(dir, 'world'))).toEqual([])
  })

  it('removes them when the build fails after registrations.csv, and creates no snapshot folder', async () => {
    const bad = join(dir, 'bad')
    rmSync(bad, { recursive: true, force: true })
    const w = join(dir, 'bad-world')
    rmSync(w, { recursive: true, force: true })
    mkdirSync(w)
    copyFileSync(paths.registrations, join(w, 'registrations.csv'))
    copyFileSync(paths.parties, join(w, 'parties.yaml'))
    writeFileSync(join(w, 'devices.csv'), 'device_id,device_type,mpxn\nnot-an-eui,ESME,1\n')
    const badPaths = { registrations: join(w, 'registrations.csv'), devices: join(w, 'devices.csv'), parties: join(w, 'parties.yaml') }
    await expect(loadRegistryHere(badPaths, { ...base, partitionBits: 2, snapshots: { dir: bad, keep: 1 } })).rejects.toBeInstanceOf(RegistryLoadError)
    expect(existsSync(bad)).toBe(false)
    await expect(loadRegistryHere(badPaths, { ...base, partitionBits: 2 })).rejects.toBeInstanceOf(RegistryLoadError)
    expect(temps(w)).toEqual([])
  })
})
