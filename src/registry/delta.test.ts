// A delta that removes, moves and adds periods (and device rows) answers exactly as a
// full rebuild of the changed files, for every key of a generated world; a bad delta is refused
// whole.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deviceIdOf, generateWorld, mpanOf, mprnOf, prng, type WorldManifest } from '../../bench/world.js'
import type { Envelope } from '../envelope/index.js'
import { applyDelta, DeltaError } from './delta.js'
import { loadRegistry } from './load.js'
import { lookupFacts } from './lookup.js'
import { CompactRegistry } from './registry-index.js'
import { compactSnapshot } from './compact.js'
import { deviceAlertEnvelope } from '../../test/support/envelopes.js'

let dir: string
let m: WorldManifest
let paths: { registrations: string; devices: string; parties: string }

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dccgw-delta-'))
  m = await generateWorld({ mpxns: 20_000, seed: 5 }, join(dir, 'world'))
  paths = { registrations: join(dir, 'world', 'registrations.csv'), devices: join(dir, 'world', 'devices.csv'), parties: join(dir, 'world', 'parties.yaml') }
  // periods with an explicit end (a gap, and one whose last day is the day before the next start:
  // effective_to is inclusive, docs/decisions.md "Dates")
  appendFileSync(paths.registrations, [
    '1200012345679,E000,2020-01-01,2021-01-01', '1200012345679,E001,2022-01-01',
    '1312345678333,E002,2020-01-01,2023-02-28', '1312345678333,E003,2023-03-01',
  ].join('\n') + '\n')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function alert(device: string, i: number): Envelope {
  return deviceAlertEnvelope(Date.UTC(2025, 6, 14, 8, 0, i % 60), { responseId: { raw: '', originator: device, target: '90-B3-D5-1F-30-10-00-00', counter: String(i) } })
}

const EXTRA_MPXNS = ['1200012345679', '1312345678333', '1999999999993', '2199999999990']
/** Answers for every key: periods, each day's period, device MPxNs (in link order), type, status, facts. */
function answers(ix: CompactRegistry, devices: string[]): string[] {
  const out: string[] = []
  const mpxns = [...Array.from({ length: m.mpans + 2 }, (_, a) => mpanOf(a)), ...Array.from({ length: m.mprns + 2 }, (_, g) => mprnOf(g)), ...EXTRA_MPXNS]
  for (const x of mpxns) out.push(`${x} ${JSON.stringify(ix.periods(x))} ${ix.periodAt(x, '2024-06-30')?.mpid} ${ix.periodAt(x, '2025-07-14')?.mpid}`)
  for (const [c, d] of devices.entries()) {
    // the link order is the order of the device's rows in devices.csv, a delta's added link after them (docs/registry.md)
    const f = lookupFacts(alert(d, c), ix)
    out.push(JSON.stringify([d, ix.mpxnsOfDevice(d) ?? ['?'], ix.mpxnRolesOfDevice(d), ix.deviceType(d), ix.deviceStatus(d), f]))
  }
  return out
}

interface Reg { mpxn: string; mpid: string; from: string; to?: string }

describe('registry deltas', () => {
  it('removes, moves and adds periods and device rows: same answers as a full rebuild of the changed files', async () => {
    const base = await loadRegistry(paths, { maxRejectRatio: 0.01, inThread: true })
    // the file rows, to change them the way the delta says
    const regLines = readFileSync(paths.registrations, 'latin1').trim().split('\n')
    const regs: Reg[] = regLines.slice(1).map((l) => {
      const [mpxn, mpid, from, to] = l.split(',')
      return { mpxn: mpxn!, mpid: mpid!, from: from!, ...(to && { to }) }
    })
    const byMpxn = new Map<string, Reg[]>()
    for (const r of regs) (byMpxn.get(r.mpxn) ?? byMpxn.set(r.mpxn, []).get(r.mpxn)!).push(r)
    const multi = [...byMpxn.values()].filter((rs) => rs.length >= 2)
    const rnd = prng(11)
    const pick = () => multi.splice(Math.floor(rnd() * multi.length), 1)[0]!
    const regDelta = ['op,mpxn,supplier_mpid,effective_from,effective_to']
    const removed = new Set<Reg>()
    const addedRegs: Reg[] = []
    const rm = (r: Reg) => {
      removed.add(r)
      regDelta.push(`remove,${r.mpxn},${r.mpid},${r.from}`)
    }
    const add = (r: Reg) => {
      addedRegs.push(r)
      regDelta.push(`add,${r.mpxn},${r.mpid},${r.from},${r.to ?? ''}`)
    }
    for (let i = 0; i < 40; i++) rm(pick().at(-1)!) // a change of supplier withdrawn: the previous period reopens
    for (let i = 0; i < 40; i++) { // a supply start date moved by 9 days
      const r = pick().at(-1)!
      rm(r)
      const d = new Date(Date.parse(r.from) + 9 * 86_400_000).toISOString().slice(0, 10)
      add({ ...r, from: d })
    }
    for (let i = 0; i < 40; i++) add({ mpxn: pick()[0]!.mpxn, mpid: 'E007', from: '2025-07-01' }) // a new change of supplier
    for (let i = 0; i < 10; i++) for (const r of pick()) rm(r) // every row of an MPxN
    add({ mpxn: '1999999999993', mpid: 'NEWM', from: '2025-01-01' }) // a new MPxN (and a new MPID)
    add({ mpxn: '2199999999990', mpid: 'E004', from: '2024-01-01', to: '2025-01-01' })
    rm({ mpxn: '1200012345679', mpid: 'E001', from: '2022-01-01' }) // the explicit end of the first stays
    rm({ mpxn: '1312345678333', mpid: 'E003', from: '2023-03-01' })
    add({ mpxn: '1312345678333', mpid: 'E005', from: '2023-06-01' })
    for (const r of regs) if (r.mpxn === '1200012345679' && r.mpid === 'E001') removed.add(r)
    for (const r of regs) if (r.mpxn === '1312345678333' && r.mpid === 'E003') removed.add(r)

    const devLines = readFileSync(paths.devices, 'latin1').trim().split('\n')
    const devRows = devLines.slice(1).map((l) => l.split(','))
    const devDelta = ['op,device_id,device_type,mpxn,device_status,mpxn_role']
    const devRemoved = new Set<string[]>()
    const devAdded: string[][] = []
    for (let i = 0; i < 30; i++) { // a device moved to another MPxN
      const r = devRows[Math.floor(rnd() * devRows.length)]!
      if (devRemoved.has(r)) continue
      devRemoved.add(r)
      devDelta.push(`remove,${r[0]},${r[1]},${r[2]}`)
      const to = mpanOf(Math.floor(rnd() * m.mpans))
      devAdded.push([r[0]!, r[1]!, to, '', 'import'])
      devDelta.push(`add,${r[0]},${r[1]},${to},,import`)
    }
    for (let i = 0; i < 20; i++) { // a new device, one on an unregistered MPxN, one commissioned
      // mpxn_role (docs/decisions.md) rides in the delta as in devices.csv: an export MPAN
      const row = [deviceIdOf(m.devices + 100 + i), 'ESME', i === 0 ? '1888888888882' : mpanOf(i), i === 1 ? 'Commissioned' : '', 'export']
      devAdded.push(row)
      devDelta.push(`add,${row.join(',')}`)
    }
    const gone = devRows.filter((r) => r[0] === devRows[7]![0]) // a device removed entirely
    for (const r of gone) {
      devRemoved.add(r)
      devDelta.push(`remove,${r[0]},${r[1]},${r[2]}`)
    }

    const a = await applyDelta(base.index, 'regs.csv', Buffer.from(regDelta.join('\n') + '\n'))
    expect(a.summary).toMatchObject({ kind: 'registrations', removed: expect.any(Number), added: addedRegs.length, endOverlaps: 0 })
    const baseAnswers = answers(base.index, Array.from({ length: m.devices + 2 }, (_, c) => deviceIdOf(c)).concat(devAdded.map((r) => r[0]!)))
    const b = await applyDelta(a.index, 'devs.csv', Buffer.from(devDelta.join('\r\n')))
    expect(b.summary).toMatchObject({ kind: 'devices', devicesChanged: expect.any(Number) })
    expect(b.index.hasOverlay).toBe(true)

    // the changed files, rebuilt
    const w2 = join(dir, 'changed')
    const fmt = (r: Reg) => `${r.mpxn},${r.mpid},${r.from},${r.to ?? ''}`
    const regs2 = [regLines[0], ...regs.filter((r) => !removed.has(r)).map(fmt), ...addedRegs.map(fmt)]
    const devs2 = [devLines[0], ...devRows.filter((r) => !devRemoved.has(r)).map((r) => r.join(',')), ...devAdded.map((r) => r.join(','))]
    const { mkdirSync } = await import('node:fs')
    mkdirSync(w2, { recursive: true })
    writeFileSync(join(w2, 'registrations.csv'), regs2.join('\n') + '\n')
    writeFileSync(join(w2, 'devices.csv'), devs2.join('\n') + '\n')
    const rebuilt = await loadRegistry({ registrations: join(w2, 'registrations.csv'), devices: join(w2, 'devices.csv'), parties: paths.parties }, { maxRejectRatio: 0.01, inThread: true })

    const devices = [...Array.from({ length: m.devices + 2 }, (_, c) => deviceIdOf(c)), ...devAdded.map((r) => r[0]!)]
    const got = answers(b.index, devices)
    const want = answers(rebuilt.index, devices)
    const diff = got.map((x, i) => [x, want[i]]).filter(([x, y]) => x !== y)
    expect(diff.slice(0, 3)).toEqual([])
    expect(b.index.counts).toEqual(rebuilt.index.counts)
    // and the deltas changed something: the base answers differently
    expect(answers(base.index, devices).filter((x, i) => x !== want[i]).length).toBeGreaterThan(150)
    expect(b.index.periods('1200012345679')).toEqual([{ mpid: 'E000', from: '2020-01-01', to: '2021-01-01' }])
    // a delta's effective_to is the last day supplied, as in registrations.csv (docs/decisions.md)
    expect(b.index.periodAt('2199999999990', '2025-01-01')?.mpid).toBe('E004')
    expect(b.index.periodAt('2199999999990', '2025-01-02')).toBeUndefined()
    const exported = devAdded.find((r) => r[4] === 'export')![0]!
    expect(b.index.mpxnRolesOfDevice(exported)).toEqual(['export'])
    expect(rebuilt.index.mpxnRolesOfDevice(exported)).toEqual(['export'])

    // compaction folds the overlay into new tables: same answers, no overlay, deltas recorded
    const c = new CompactRegistry(compactSnapshot(b.index.toShared()))
    expect(c.hasOverlay).toBe(false)
    expect(c.toShared().baked?.map((x) => x.name)).toEqual(['regs.csv', 'devs.csv'])
    const compacted = answers(c, devices)
    expect(compacted.map((x, i) => [x, want[i]]).filter(([x, y]) => x !== y).slice(0, 3)).toEqual([])
    expect(c.counts).toEqual(rebuilt.index.counts)
    // and the base index (whose tables the overlay and the compaction read) still answers as before
    expect(answers(base.index, devices)).toEqual(baseAnswers)
    expect(b.index.periods('1312345678333')).toEqual([{ mpid: 'E002', from: '2020-01-01', to: '2023-02-28' }, { mpid: 'E005', from: '2023-06-01' }])
    expect(c.mpxnRolesOfDevice(exported)).toEqual(['export'])
  })

  it('counts the end overlaps a delta leaves (effective_to on or after the next start: the later start wins)', async () => {
    const base = await loadRegistry(paths, { maxRejectRatio: 0.01, inThread: true })
    const text = 'op,mpxn,supplier_mpid,effective_from,effective_to\n' +
      'add,2299999999997,E000,2025-01-01,2025-03-14\nadd,2299999999997,E001,2025-03-14\n' + // one-day overlap
      'add,2399999999994,E000,2025-01-01,2025-03-13\nadd,2399999999994,E001,2025-03-14\n' //  touching: none
    const { index, summary } = await applyDelta(base.index, 'overlap.csv', Buffer.from(text))
    expect(summary.endOverlaps).toBe(1)
    expect(index.periods('2299999999997')).toEqual([{ mpid: 'E000', from: '2025-01-01', to: '2025-03-13' }, { mpid: 'E001', from: '2025-03-14' }])
    expect(index.periods('2399999999994')).toEqual([{ mpid: 'E000', from: '2025-01-01', to: '2025-03-13' }, { mpid: 'E001', from: '2025-03-14' }])
  })

  it('applies the rows of each MPxN and device in file order, whatever rows come between them', async () => {
    const base = await loadRegistry(paths, { maxRejectRatio: 0.01, inThread: true })
    const regs = 'op,mpxn,supplier_mpid,effective_from\n' +
      'add,2299999999997,E000,2025-01-01\nadd,2399999999994,E001,2025-01-01\n' +
      'REMOVE,2299999999997,E000,2025-01-01\nadd,2399999999994,E002,2025-03-01\nAdd,2299999999997,E002,2025-02-01\n'
    const a = await applyDelta(base.index, 'order.csv', Buffer.from(regs))
    expect(a.summary).toMatchObject({ rows: 5, added: 4, removed: 1, mpxnsChanged: 2 })
    expect(a.index.periods('2299999999997')).toEqual([{ mpid: 'E002', from: '2025-02-01' }])
    expect(a.index.periods('2399999999994')).toEqual([{ mpid: 'E001', from: '2025-01-01', to: '2025-02-28' }, { mpid: 'E002', from: '2025-03-01' }])
    // a remove before the add of its row finds nothing: the file's order, not the rows' grouping
    const late = 'op,mpxn,supplier_mpid,effective_from\nremove,2199999999990,E000,2025-01-01\nadd,2199999999990,E000,2025-01-01\n'
    const err = await applyDelta(base.index, 'late.csv', Buffer.from(late)).catch((e: unknown) => e)
    expect((err as DeltaError).reasons.map((r) => r.line)).toEqual([2])
    // a device's later row wins its mpxn_role; its removal of another MPxN in between applies in order
    const d = deviceIdOf(m.devices + 500)
    const other = deviceIdOf(m.devices + 501)
    const devs = 'op,device_id,device_type,mpxn,device_status,mpxn_role\n' +
      `add,${d},ESME,${mpanOf(3)},,import\nadd,${other},ESME,${mpanOf(4)},,import\nadd,${d},ESME,${mpanOf(5)},,import\n` +
      `remove,${d},ESME,${mpanOf(5)}\nadd,${d},ESME,${mpanOf(3)},Commissioned,export\n`
    const b = await applyDelta(a.index, 'devorder.csv', Buffer.from(devs))
    expect(b.summary).toMatchObject({ devicesChanged: 2, removed: 1 })
    expect(b.index.mpxnsOfDevice(d)).toEqual([mpanOf(3)])
    expect(b.index.mpxnRolesOfDevice(d)).toEqual(['export'])
    expect(b.index.deviceStatus(d)).toBe('Commissioned')
    expect(b.index.mpxnsOfDevice(other)).toEqual([mpanOf(4)])
  })

  it('refuses a bad delta whole, with file:line reasons, and leaves the index as it was', async () => {
    const base = await loadRegistry(paths, { maxRejectRatio: 0.01, inThread: true })
    const text = 'op,mpxn,supplier_mpid,effective_from\nadd,1200012345679,E009,2025-01-01\nremove,1200012345679,E009,1999-01-01\nupsert,1,E000,2025-01-01\nadd,12x,E000,2025-01-01\n'
    const err = await applyDelta(base.index, 'bad.csv', Buffer.from(text)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DeltaError)
    expect((err as DeltaError).reasons.map((r) => r.line).sort()).toEqual([3, 4, 5])
    expect((err as DeltaError).message).toMatch(/^bad\.csv: 3 of 4 rows refused; nothing applied/)
    expect((err as DeltaError).reasons.find((r) => r.line === 3)!.reason).toMatch(/no registration of E009/)
    expect(base.index.hasOverlay).toBe(false)
    await expect(applyDelta(base.index, 'h.csv', Buffer.from('mpxn,supplier_mpid,effective_from\n'))).rejects.toThrow(/header "mpxn,supplier_mpid,effective_from" is neither/)
    await expect(applyDelta(base.index, 'r.csv', Buffer.from('op,device_id,device_type,mpxn,device_status,mpxn_role\nadd,00-12-34-56-78-AB-CD-EF,ESME,1200012345679,,both\n')))
      .rejects.toThrow(/mpxn_role "both" is not import or export/)
  })
})
