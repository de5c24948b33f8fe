// The reload's working set beside the two indexes (docs/registry.md, "Peak memory"): the load
// worker collects its heap between the build's phases, each phase's buffers are unreachable when
// it ends, the source checksums read into one buffer, and parties.yaml is read before, by a worker
// of its own (so that the load worker never loads the YAML parser and the schema validator).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runInNewContext } from 'node:vm'
import { crc32 } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { writeWorld } from '../../test/fixtures/registry/world.js'
import { fullCollection } from './full-collection.js'
import { loadRegistryHere, readParties, writeSnapshotOf, type LoadOptions } from './load-here.js'
import { PartitionReader, PartitionWriter } from './partition-files.js'
import { crcOfFile } from './sources.js'

const REGS = '1200012345679,ACME,2020-01-01\n1200012345679,BRIT,2024-05-01\n7452731806,ACMG,2022-01-01,2023-01-01\n'
const DEVS = 'device_id,device_type,mpxn\n00-12-34-56-78-AB-CD-EF,ESME,1200012345679\n00-12-34-56-78-AB-CD-F0,GSME,7452731806\n'
const dir = mkdtempSync(join(tmpdir(), 'dccgw-peak-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the load worker\'s full collection', () => {
  it('frees unreachable buffers, and leaves no gc in contexts made after it', async () => {
    const asked = /--expose[-_]gc/.test([...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' '))
    const gc = fullCollection()
    expect(gc).toBeTypeOf('function')
    expect(runInNewContext('typeof gc')).toBe(asked ? 'function' : 'undefined')
    // a buffer nothing refers to (a WeakRef keeps its target until the current job ends: the next turn)
    const ref = (() => new WeakRef(new Uint32Array(1 << 20).fill(1)))()
    await new Promise((r) => setImmediate(r))
    expect(ref.deref()).toBeDefined() // no collection has run by itself in between (deref keeps it for this turn too)
    await new Promise((r) => setImmediate(r))
    gc!()
    expect(ref.deref()).toBeUndefined()
  })
})

describe('a build from the files', () => {
  it('collects between its phases (after the registrations, the device pass and the device sort), a snapshot start never', async () => {
    const w = writeWorld(REGS, DEVS)
    let calls = 0
    const opts: LoadOptions = { maxRejectRatio: 0, inThread: true, snapshots: { dir: join(dir, 'snaps'), keep: 1 }, collect: () => calls++ }
    const built = await loadRegistryHere(w, opts)
    expect(built.builtFrom).not.toBeNull()
    expect(calls).toBe(3)
    expect(writeSnapshotOf(built, opts)).toHaveProperty('file')
    calls = 0
    const started = await loadRegistryHere(w, opts)
    expect(started.report.source).toBe('snapshot')
    expect(calls).toBe(0)
  })

  it('asks for parties.yaml only to build from the files, and uses what it is given (readParties) without reading the file', async () => {
    const w = writeWorld(REGS, DEVS)
    const parties = await readParties(w.parties)
    expect(parties.stamp).toMatchObject({ role: 'parties', path: w.parties, crc32: await crcOfFile(w.parties) })
    let asked = 0
    const given = async () => {
      asked++
      return parties
    }
    const opts: LoadOptions = { maxRejectRatio: 0, inThread: true, snapshots: { dir: join(dir, 'snaps-parties'), keep: 1 }, parties: given }
    const r = await loadRegistryHere({ ...w, parties: join(dir, 'no-such-parties.yaml') }, opts)
    expect(asked).toBe(1)
    expect(r.index.counts.parties).toBe(parties.parties.length)
    expect(r.index.party('ACME')?.mpids).toEqual(['ACME', 'ACMG'])
    expect(r.builtFrom?.find((s) => s.role === 'parties')).toEqual(parties.stamp)
    // a snapshot start (the sources as recorded) never asks
    writeSnapshotOf(r, opts)
    asked = 0
    expect((await loadRegistryHere(w, opts)).report.source).toBe('snapshot')
    expect(asked).toBe(0)
  })
})

describe('scratch buffers', () => {
  it('a finished partition writer and a closed reader let go of their buffers', () => {
    const w = new PartitionWriter(join(dir, 'p.tmp'), 2)
    expect(w.buf.length).toBeGreaterThan(0)
    const at = w.slot(1)
    w.buf.set([1, 2, 3, 4], at)
    const layout = w.finish()
    expect(w.buf.length).toBe(0)
    const r = new PartitionReader(layout)
    expect(r.read(1)).toBe(1)
    expect([...r.buf.subarray(0, 4)]).toEqual([1, 2, 3, 4])
    r.close()
    expect(r.buf.length).toBe(0)
  })

  it('the source checksum reads a file of several reads into one buffer and equals the CRC-32 of its bytes', async () => {
    const f = join(dir, 'big.bin')
    const bytes = Buffer.alloc((5 << 19) + 12345)
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24
    writeFileSync(f, bytes)
    expect(await crcOfFile(f)).toBe(crc32(bytes))
  })
})
