// Compaction of a delta overlay into new packed tables (compact.ts): the field widths are computed
// afresh (a new MPID, a day beyond the old span only widen the new arrays), MPxNs that lose every
// registration row but are still named by a device become orphans and orphans that gain rows join
// the MPxN table; the compacted index answers as a build from the changed files.
import { describe, expect, it } from 'vitest'
import { writeWorld } from '../../test/fixtures/registry/world.js'
import { compactSnapshot } from './compact.js'
import { parseDay } from './day.js'
import { applyDelta } from './delta.js'
import { loadRegistry } from './load.js'
import { CompactRegistry, widthsOf } from './registry-index.js'

const M = ['1200012345679', '1300012345670', '1400012345671', '1500012345672']
const D = ['00-12-34-56-78-AB-CD-21', '00-12-34-56-78-AB-CD-22', '00-12-34-56-78-AB-CD-23']
const DAYS = ['2019-12-31', '2020-01-01', '2023-06-01', '2030-05-01', '2040-12-31', '2041-01-01']

function answers(ix: CompactRegistry): string {
  const at = (day: string) => ({ day, dayNumber: parseDay(day) })
  return JSON.stringify([
    ...M.map((m) => [ix.periods(m), DAYS.map((d) => ix.mpxnFacts(m, at(d), undefined))]),
    ...D.map((d) => [ix.mpxnsOfDevice(d), ix.mpxnRolesOfDevice(d), ix.deviceType(d), ix.deviceStatus(d), ix.deviceMpxnFacts(d, at('2030-05-01'), undefined)]),
    ix.counts,
  ])
}

describe('compaction', () => {
  it('widens the field widths, moves MPxNs to and from the orphans, and answers as a rebuild of the changed files', async () => {
    const regs = [`${M[0]},ACME,2023-01-01`, `${M[1]},BRIT,2023-01-01`, `${M[2]},ACME,2023-01-01`]
    const devs = [`${D[0]},ESME,${M[0]}`, `${D[1]},ESME,${M[1]}`, `${D[2]},CHF,${M[3]}`, `${D[2]},CHF,${M[2]}`]
    const base = await loadRegistry(writeWorld(regs.join('\n'), devs.join('\n')), { maxRejectRatio: 0, inThread: true })
    expect(base.index.orphans.n).toBe(1) // M[3]: named by a device only
    const delta = [
      'op,mpxn,supplier_mpid,effective_from,effective_to',
      `add,${M[0]},ZZ01,2030-05-01`, `add,${M[0]},ZZ02,2020-01-01,2022-12-31`, `add,${M[3]},ZZ03,2023-06-01,2040-12-31`,
      `add,${M[3]},ZZ04,2041-01-01`, `remove,${M[1]},BRIT,2023-01-01`,
    ]
    const d = await applyDelta(base.index, 'd.csv', Buffer.from(delta.join('\n') + '\n'))
    const c = new CompactRegistry(compactSnapshot(d.index.toShared()))
    const before = widthsOf(base.index.toShared())
    const after = widthsOf(c.toShared())
    expect(after.mpidBits).toBeGreaterThan(before.mpidBits) // 9 MPIDs: 4 bits, 5: 3
    expect(after.dayBits).toBeGreaterThan(before.dayBits)
    expect(after.dayBase).toBe('2020-01-01')
    expect(c.orphans.n).toBe(1) // M[1] lost its only row, M[3] gained two
    expect(c.mpxnFacts(M[1]!, { day: '2024-01-01', dayNumber: parseDay('2024-01-01') }, undefined).known).toBe(false)
    expect(c.mpxnsOfDevice(D[1]!)).toEqual([M[1]])

    const rebuilt = await loadRegistry(writeWorld(
      [regs[0], regs[2], `${M[0]},ZZ01,2030-05-01`, `${M[0]},ZZ02,2020-01-01,2022-12-31`, `${M[3]},ZZ03,2023-06-01,2040-12-31`, `${M[3]},ZZ04,2041-01-01`].join('\n'),
      devs.join('\n')), { maxRejectRatio: 0, inThread: true })
    expect(answers(d.index)).toBe(answers(rebuilt.index))
    expect(answers(c)).toBe(answers(rebuilt.index))
    expect(widthsOf(c.toShared())).toEqual(widthsOf(rebuilt.index.toShared()))
  })
})
