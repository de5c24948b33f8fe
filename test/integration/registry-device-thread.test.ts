// A build from files reads devices.csv in a second thread while registrations.csv is built
// (docs/registry.md, "Bounded peak"): the compiled build (dist/) against the same build in one thread
// on the same files gives the same index, the same report and the same failures.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadRegistry, lookupFacts, type LoadReport } from '../../dist/registry/index.js'
import { deviceIdOf, generateWorld, mpanOf, type WorldManifest } from '../../bench/world.js'
import { registryAnswers } from '../support/registry-answers.js'

let dir: string
let m: WorldManifest
let paths: { registrations: string; devices: string; parties: string }

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dccgw-device-thread-'))
  m = await generateWorld({ mpxns: 20_000, seed: 5 }, join(dir, 'world'))
  paths = { registrations: join(dir, 'world', 'registrations.csv'), devices: join(dir, 'world', 'devices.csv'), parties: join(dir, 'world', 'parties.yaml') }
  // rejected rows in both files, an unregistered MPxN, a duplicate row, a device listed with two types
  appendFileSync(paths.registrations, '12x4,E000,2020-01-01\n1412345678901,E000,2020-13-01\n')
  appendFileSync(paths.devices, `${deviceIdOf(m.devices)},ESME,1999999999993,Commissioned\n` +
    `${deviceIdOf(m.devices + 1)},TOASTER,${mpanOf(1)}\n` +
    `${deviceIdOf(3)},ESME,${mpanOf(3)}\n${deviceIdOf(3)},ESME,${mpanOf(3)}\n` +
    `${deviceIdOf(m.devices + 2)},ESME,${mpanOf(4)}\n${deviceIdOf(m.devices + 2)},GSME,${mpanOf(5)}\n`)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The report without its timings and memory. */
const comparable = (r: LoadReport) => ({ ...r, files: r.files.map((f) => ({ ...f, ms: 0 })), memory: undefined, loadMs: undefined })

describe('devices.csv read in a second thread', () => {
  it('builds the same index and report as one thread', async () => {
    const one = await loadRegistry(paths, { maxRejectRatio: 0.01, inThread: true, deviceThread: false })
    const two = await loadRegistry(paths, { maxRejectRatio: 0.01, inThread: true, deviceThread: true })
    const extra = { devices: 3 }
    expect(registryAnswers(two.index, m, lookupFacts, extra)).toEqual(registryAnswers(one.index, m, lookupFacts, extra))
    expect(comparable(two.report)).toEqual(comparable(one.report))
    expect(two.report.reasons.map((r) => [r.file.endsWith('devices.csv'), r.reason.slice(0, 14)])).toEqual([
      [false, 'mpxn "12x4" is'], [false, 'effective_from'], [true, 'device_type "T'],
    ])
    expect(two.report.devicesWithUnregisteredMpxn).toBe(1)
    expect(two.report.overlapSamples.map((s) => s.reason.replace(/ \(see line \d+\)$/, ''))).toEqual(expect.arrayContaining([
      'duplicate device row, collapsed', 'device listed with another type or status; the last row wins']))
    expect(two.index.deviceType(deviceIdOf(m.devices + 2))).toBe('GSME')
  })

  it('fails as one thread does: the registrations first, then the devices; the code and reasons cross the thread', async () => {
    const bad = join(dir, 'bad')
    const regsBad = join(dir, 'regs-bad.csv')
    const devsBad = join(dir, 'devs-bad.csv')
    writeFileSync(regsBad, 'mpxn,supplier_mpid,effective_from\nx,E000,2020-01-01\n')
    writeFileSync(devsBad, 'device_id,device_kind,mpxn\n')
    for (const deviceThread of [false, true]) {
      const both = await loadRegistry({ ...paths, registrations: regsBad, devices: devsBad }, { maxRejectRatio: 0.01, inThread: true, deviceThread }).catch((e: unknown) => e)
      expect(both).toMatchObject({ code: 'DCCGW_ERR_REGISTRY_EMPTY', file: regsBad })
      const devs = await loadRegistry({ ...paths, devices: devsBad }, { maxRejectRatio: 0.01, inThread: true, deviceThread }).catch((e: unknown) => e)
      expect(devs).toMatchObject({ code: 'DCCGW_ERR_REGISTRY_HEADER', file: devsBad })
      const ratio = await loadRegistry({ ...paths, devices: join(bad + '.csv') }, { maxRejectRatio: 0.01, inThread: true, deviceThread }).catch((e: unknown) => e)
      expect(ratio).toMatchObject({ code: 'DCCGW_ERR_REGISTRY_READ', file: bad + '.csv' })
    }
  })
})
