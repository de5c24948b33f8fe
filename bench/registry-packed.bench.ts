// A sorted, bit-packed registration index (bench/lib/packed-index.ts), measured against today's
// CompactRegistry on the same cached world (docs/registry.md, "Against the targets": a reload holds
// two indexes, so 600 MB at 10M needs an index of ~250 MB or less).
//   npm run bench:registry-packed -- [--sizes 1e6,1e7] [--runs 3] [--keys 1000000] [--thread false] [--partition-bits N]
//                                    [--only today-files,build,build-here,snapshot,verify,reload-files,reload-files-here,
//                                            reload-snapshot,today-reload-snapshot] [--corrupt N]
//   npm run bench:registry-packed -- --report   (the markdown again from the JSON)
// Each measurement runs in a fresh child process (peak RSS = its VmHWM); --runs rounds of all the
// kinds asked (verify once), so a change of load falls on both sides of a same-run ratio:
//   today-files      today's build from the files (src/registry loadRegistry, no snapshot): the in-run baseline
//   build            the packed index from registrations.csv and devices.csv (packed-build.ts, devices.csv
//                    in a worker thread): time, peak RSS, the size of each typed array; writes the packed
//                    arrays as a snapshot (bench/.cache/packed-SIZE.snap); build-here the same in one thread
//   snapshot         the packed index read from that snapshot: time, peak RSS
//   verify           today's index (its compiled snapshot, bench/.cache/snapshots-SIZE) and the packed one in
//                    one process: every MPxN, orphan and device row compared (a device's links as a set:
//                    today's keep no order), every device's links against devices.csv's order, then --keys
//                    random keys (hits and misses) through the hot path (mpxnFacts, deviceMpxnFacts,
//                    periods, links, type and status); then lookup rates, interleaved rounds, medians.
//                    --corrupt N damages N periods, roles and link orders first (the check must fail)
//   reload-files     one packed index from its snapshot, a second built from the files beside it (a reload):
//                    peak RSS (reload-files-here: the build in one thread); reload-snapshot the same with
//                    the second read from the snapshot
//   today-reload-snapshot  today's index from its snapshot twice (the in-run baseline of a reload's peak)
// Writes bench/results/registry-packed.json and the measured part of bench/results/registry-packed.md.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEVICE_STATUSES, loadRegistry, type CompactRegistry, type OwnParties, type RegistryPaths } from '../dist/registry/index.js'
import { formatDay } from '../dist/registry/day.js'
import { formatEui, mpxnOfKey } from '../dist/registry/keys.js'
import { keyOfSlot } from '../dist/registry/mpxn-table.js'
import { csvPass } from '../dist/registry/csv-pass.js'
import { checkDevice, DEVICES, devRow } from '../dist/registry/load-devices.js'
import { buildPacked, readPacked, writePacked } from './lib/packed-build.js'
import { arraysOf, byteSizeOf, keyOfEntry, perm, permMpxn, findEntry, PackedRegistry, type PackedIndex } from './lib/packed-index.js'
import { generateWorld, prng } from './world.js'
import { edgeWorld } from './lib/packed-edge-world.js'

const argv = process.argv.slice(2)
const arg = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1]! : dflt
}
/** bench/ (the children run from a bundle in bench/.cache and are told) */
const here = arg('bench-dir', dirname(fileURLToPath(import.meta.url)))
const status = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024
const hwm = () => status('VmHWM')
const MB = (b: number) => (Number.isNaN(b) ? '-' : String(Math.round(b / 1e5) / 10))
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const gc = () => (globalThis as { gc?: () => void }).gc?.()

const pathsOf = (dir: string): RegistryPaths => ({
  registrations: join(dir, 'registrations.csv'), devices: join(dir, 'devices.csv'), parties: join(dir, 'parties.yaml'),
})

function sizesOf(x: PackedIndex): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, a] of Object.entries(arraysOf(x))) out[k] = a.byteLength
  return out
}

async function todayIndex(dir: string, snapDir: string): Promise<{ index: CompactRegistry; source: string }> {
  const r = await loadRegistry(pathsOf(dir), { maxRejectRatio: 0.01, snapshots: { dir: snapDir, keep: 1 } })
  await r.snapshotWritten
  return { index: r.index, source: r.report.source }
}

// ---- verify ------------------------------------------------------------------------------------

interface Mismatch { what: string; key: string; today: string; packed: string }

/** Every MPxN (periods as stored: from, to, MPID, implied end), orphan and device row of today's index. */
function compareAll(t: CompactRegistry, px: PackedRegistry, bad: Mismatch[]): Record<string, number> {
  const x = px.x
  const miss = (what: string, key: string, a: unknown, b: unknown) => {
    if (bad.length < 50) bad.push({ what, key, today: JSON.stringify(a), packed: JSON.stringify(b) })
    else bad.length++
  }
  const totals = {
    mpxns: t.main.slots.length, packedMpxns: x.main.n, periods: t.main.periods.length / 3, packedPeriods: x.nPeriods,
    orphans: t.orphans.slots.length, packedOrphans: x.orphans.n, deviceRows: t.dev.hi.length, packedDeviceRows: x.dev.rows,
    devices: t.dev.devices, packedDevices: x.dev.devices,
  }
  if (totals.mpxns !== totals.packedMpxns || totals.periods !== totals.packedPeriods || totals.orphans !== totals.packedOrphans
    || totals.deviceRows !== totals.packedDeviceRows || totals.devices !== totals.packedDevices) miss('totals', '', totals, '')
  const st = t.main.starts
  const nb = (st.length - 2) / 2
  for (let b = 0; b < nb; b++) {
    let p = st[2 * b + 1]!
    for (let s = st[2 * b]!; s < st[2 * b + 2]!; s++) {
      const v = t.main.slots[s]!
      const k = Math.floor(v / 64)
      const n = v - k * 64
      const a: number[] = []
      for (let q = p; q < p + n; q++) a.push(t.periodFrom(q), t.periodTo(q), t.main.periods[q * 3 + 2]! >>> 15)
      const am = Array.from({ length: n }, (_, j) => t.mpidNames[t.periodMpid(p + j)])
      p += n
      if (px.entryOfKey(k) < 0) {
        miss('mpxn missing', mpxnOfKey(k), a, null)
        continue
      }
      const f = px.hitFirst
      const c: number[] = []
      const cm: string[] = []
      for (let q = f; q < f + px.hitCount; q++) {
        c.push(px.periodFrom(q), px.periodTo(q), px.periodImplied(q))
        cm.push(x.mpids[px.periodMpid(q)]!)
      }
      if (a.join() !== c.join() || am.join() !== cm.join()) miss('periods', mpxnOfKey(k), [a, am], [c, cm])
    }
  }
  for (let s = 0; s < t.orphans.slots.length; s++) {
    const k = keyOfSlot(t.orphans, s)
    permMpxn(k)
    if (findEntry(x.orphans, perm.a, perm.b) < 0 || px.entryOfKey(k) >= 0) miss('orphan', mpxnOfKey(k), 'orphan', 'not')
  }
  const d = t.dev
  let orderDiffers = 0
  for (let r = 0; r < d.hi.length; ) {
    const e = t.deviceRowsEnd(r)
    const a: string[] = []
    for (let j = r; j < e; j++) {
      const ref = d.ref[j]!
      a.push(`${ref & 0x80000000 ? keyOfSlot(t.orphans, ref & 0x7fffffff) : keyOfSlot(t.main, ref)}:${d.meta[j]}`)
    }
    const row = px.rowOfEui(d.hi[r]!, d.lo[r]!)
    const c: string[] = []
    if (row >= 0)
      for (let j = row, pe = px.deviceRowsEnd(row); j < pe; j++) {
        const ref = px.refOf(j)
        c.push(`${ref < x.main.n ? keyOfEntry(x.main, ref) : keyOfEntry(x.orphans, ref - x.main.n)}:${x.dev.meta[j]}`)
      }
    if (a.join() !== c.join()) {
      if ([...a].sort().join() === [...c].sort().join()) orderDiffers++
      else miss('device rows', formatEui(d.hi[r]!, d.lo[r]!), a, c)
    }
    r = e
  }
  let statusLinks = 0
  for (const st of DEVICE_STATUSES) {
    const a = t.deviceLinksWithStatus(st).map((l) => `${l.deviceId} ${l.mpxn}`).sort()
    const c = px.deviceLinksWithStatus(st).map((l) => `${l.deviceId} ${l.mpxn}`).sort()
    statusLinks += a.length
    if (a.join() !== c.join()) miss('deviceLinksWithStatus', st, a.length, c.length)
  }
  return { ...totals, devicesWhoseLinkOrderDiffers: orderDiffers, statusLinks }
}

/** A field of `n` bits at `bit` overwritten (writeBits ORs into zeros). */
function setBits(w: Uint32Array, bit: number, n: number, v: number): void {
  for (let j = 0; j < n; j++) {
    const k = (bit + j) >>> 5
    const m = 1 << ((bit + j) & 31)
    w[k] = (v / 2 ** j) & 1 ? w[k]! | m : w[k]! & ~m
  }
}

/**
 * The links of every device in devices.csv's order (the order of each MPxN's first row for the
 * device), checked against the file itself (today's index keeps no file order to compare with):
 * one pass over the valid rows (today's checks); each row's MPxN must be among the device's links
 * seen so far, or the next one; at the end every link must have been seen.
 */
async function compareLinkOrder(px: PackedRegistry, paths: RegistryPaths, bad: Mismatch[]): Promise<Record<string, number>> {
  const x = px.x
  const seen = new Uint16Array(x.dev.rows) // per device (its first row): links met so far in the file
  const miss = (what: string, key: string, a: unknown, b: unknown) => {
    if (bad.length < 50) bad.push({ what, key, today: JSON.stringify(a), packed: JSON.stringify(b) })
    else bad.length++
  }
  let rows = 0
  await csvPass(paths.devices, DEVICES, checkDevice, (line) => {
    rows++
    const row = px.rowOfEui(devRow.hi, devRow.lo)
    const id = formatEui(devRow.hi, devRow.lo)
    if (row < 0) return miss('link order: device missing', id, line, null)
    let ref = px.entryOfKey(devRow.key)
    if (ref < 0) {
      permMpxn(devRow.key)
      const o = findEntry(x.orphans, perm.a, perm.b)
      ref = o < 0 ? -1 : x.main.n + o
    }
    const end = px.deviceRowsEnd(row)
    let pos = -1
    for (let j = row; j < end; j++) if (px.refOf(j) === ref) pos = j - row
    if (pos < 0) return miss('link order: link missing', `${id} ${mpxnOfKey(devRow.key)}`, line, null)
    if (pos === seen[row]) seen[row]!++
    else if (pos > seen[row]!) miss('link order', `${id} ${mpxnOfKey(devRow.key)}`, `link ${seen[row]} at line ${line}`, `link ${pos}`)
  })
  let devices = 0
  let several = 0
  for (let r = 0; r < x.dev.rows; ) {
    const e = px.deviceRowsEnd(r)
    devices++
    if (e - r > 1) several++
    if (seen[r] !== e - r) miss('link order: links not in the file', String(r), e - r, seen[r])
    r = e
  }
  return { rows, devices, devicesWithSeveralLinks: several }
}

const byMpxn = <T extends { mpxn: string }>(xs: readonly T[] | undefined) => (xs ? [...xs].sort((a, b) => (a.mpxn < b.mpxn ? -1 : a.mpxn > b.mpxn ? 1 : 0)) : xs)

/** `n` random keys through the hot path on both indexes. */
function compareRandom(t: CompactRegistry, px: PackedRegistry, n: number, bad: Mismatch[]): Record<string, number> {
  const rnd = prng(7)
  const x = px.x
  const parties = t.parties()
  const span = (1 << x.dayBits) - 1
  const counts = { mpxnHit: 0, orphan: 0, mpxnMiss: 0, deviceHit: 0, deviceMiss: 0, comparisons: 0, deviceLinkOrderDiffers: 0 }
  const same = (what: string, key: string, a: unknown, b: unknown) => {
    counts.comparisons++
    const ja = JSON.stringify(a)
    const jb = JSON.stringify(b)
    if (ja === jb) return
    if (bad.length < 50) bad.push({ what, key, today: ja, packed: jb })
    else bad.length++
  }
  for (let i = 0; i < n; i++) {
    const dn = x.dayBase - 400 + Math.floor(rnd() * (Math.min(span, 25000) + 800))
    const at = { day: formatDay(dn), dayNumber: dn }
    const u = rnd()
    const pick = () => parties[Math.floor(rnd() * parties.length)]!
    const ps = u < 0.3 ? undefined : u < 0.9 ? [pick()] : [pick(), pick()]
    // each index's own Party objects, as lookup.ts ownParties builds them (compared by identity)
    const ownOf = (ix: CompactRegistry | PackedRegistry): OwnParties | undefined => {
      const own = ps?.map((p) => ix.party(p.id)!)
      return own && { parties: own, mpids: own.flatMap((p) => p.mpids) }
    }
    const [ot, op] = [ownOf(t), ownOf(px)]
    const w = rnd()
    if (w < 0.55) {
      let m: string
      if (w < 0.4) {
        m = mpxnOfKey(keyOfSlot(t.main, Math.floor(rnd() * t.main.slots.length)))
        counts.mpxnHit++
      } else if (w < 0.45 && t.orphans.slots.length > 0) {
        m = mpxnOfKey(keyOfSlot(t.orphans, Math.floor(rnd() * t.orphans.slots.length)))
        counts.orphan++
      } else {
        const r = rnd()
        m = r < 0.5 ? String(Math.floor(rnd() * 9e12) + 1e12) : r < 0.9 ? String(Math.floor(rnd() * 1e10)).padStart(10, '0') : ['', 'x1', '12345678901234', '0'][Math.floor(rnd() * 4)]!
        counts.mpxnMiss++
      }
      same('mpxnFacts', m, t.mpxnFacts(m, at, ot), px.mpxnFacts(m, at, op))
      same('periods', m, t.periods(m), px.periods(m))
      same('periodAt', m, t.periodAt(m, at.day), px.periodAt(m, at.day))
    } else {
      let id: string
      if (w < 0.9) {
        const r = Math.floor(rnd() * t.dev.hi.length)
        id = formatEui(t.dev.hi[r]!, t.dev.lo[r]!)
        if (rnd() < 0.3) id = id.toLowerCase()
        counts.deviceHit++
      } else {
        id = formatEui(t.dev.hi[0]!, Math.floor(rnd() * 2 ** 32))
        counts.deviceMiss++
      }
      const ta = t.deviceMpxnFacts(id, at, ot)
      const pa = px.deviceMpxnFacts(id, at, op)
      if (ta && pa && JSON.stringify(ta) !== JSON.stringify(pa)) counts.deviceLinkOrderDiffers++
      same('deviceMpxnFacts', id, byMpxn(ta), byMpxn(pa))
      const links = (ix: CompactRegistry | PackedRegistry) => {
        const ms = ix.mpxnsOfDevice(id)
        const rs = ix.mpxnRolesOfDevice(id)
        return ms?.map((m, j) => `${m}:${rs![j]}`).sort()
      }
      same('links', id, links(t), links(px))
      same('deviceType', id, t.deviceType(id), px.deviceType(id))
      same('deviceStatus', id, t.deviceStatus(id), px.deviceStatus(id))
    }
  }
  return counts
}

/** ns per lookup, today's and packed, interleaved rounds (order alternating), medians. */
function rates(t: CompactRegistry, px: PackedRegistry, rounds: number): Record<string, unknown> {
  const rnd = prng(11)
  const N = 200_000
  const keys = new Float64Array(N)
  const mpxns: string[] = []
  const devices: string[] = []
  for (let i = 0; i < N; i++) {
    keys[i] = keyOfSlot(t.main, Math.floor(rnd() * t.main.slots.length))
    mpxns.push(mpxnOfKey(keys[i]!))
    const r = Math.floor(rnd() * t.dev.hi.length)
    devices.push(formatEui(t.dev.hi[r]!, t.dev.lo[r]!))
  }
  const day = px.x.dayBase + 3000
  const at = { day: formatDay(day), dayNumber: day }
  const ownOf = (ix: CompactRegistry | PackedRegistry) => {
    const p0 = ix.parties()[0]!
    return { parties: [p0], mpids: p0.mpids }
  }
  let sink = 0
  const kinds: Record<string, (ix: CompactRegistry | PackedRegistry) => void> = {
    'key -> period (no objects)': (ix) => {
      if (ix instanceof PackedRegistry) for (let i = 0; i < N; i++) sink += ix.periodAtKey(keys[i]!, day)
      else for (let i = 0; i < N; i++) sink += ix.slotOfKey(keys[i]!) < 0 ? -2 : ix.periodInRange(day)
    },
    mpxnFacts: (ix) => {
      const own = ownOf(ix)
      for (let i = 0; i < N; i++) sink += ix.mpxnFacts(mpxns[i]!, at, own).known ? 1 : 0
    },
    deviceMpxnFacts: (ix) => {
      const own = ownOf(ix)
      for (let i = 0; i < N; i++) sink += ix.deviceMpxnFacts(devices[i]!, at, own)?.length ?? 0
    },
  }
  const out: Record<string, unknown> = {}
  for (const [name, f] of Object.entries(kinds)) {
    const ns: Record<'today' | 'packed', number[]> = { today: [], packed: [] }
    for (let r = 0; r < rounds; r++) {
      const order: ['today' | 'packed', CompactRegistry | PackedRegistry][] = [['today', t], ['packed', px]]
      if (r % 2) order.reverse()
      for (const [label, ix] of order) {
        const t0 = performance.now()
        f(ix)
        ns[label].push(((performance.now() - t0) * 1e6) / N)
      }
    }
    const mt = median(ns.today.slice(1)) // round 0 warms the code up
    const mp = median(ns.packed.slice(1))
    out[name] = { todayNs: Math.round(mt), packedNs: Math.round(mp), ratio: Math.round((mp / mt) * 100) / 100, todayPerSecond: Math.round(1e9 / mt), packedPerSecond: Math.round(1e9 / mp), rounds: ns }
  }
  out.sink = sink
  return out
}

// ---- the child: one measurement ----------------------------------------------------------------

async function child(measured: string, dir: string, size: string): Promise<Record<string, unknown>> {
  // KIND-here: the same measurement with the packed build in one thread (no devices.csv thread)
  const kind = measured.replace(/-here$/, '')
  const paths = pathsOf(dir)
  const snapDir = join(here, '.cache', `snapshots-${size}`)
  const packedFile = join(here, '.cache', `packed-${size}.snap`)
  const buildOptions = { tmpDir: join(here, '.cache'), thread: !measured.endsWith('-here') && arg('thread', 'true') !== 'false', ...(argv.includes('--partition-bits') && { partitionBits: Number(arg('partition-bits', '0')) }) }
  const out: Record<string, unknown> = { kind: measured, rssBeforeLoad: status('VmRSS') }
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  // CPU time of all the process's threads: what a build costs, not how long it waited for a core
  const cpuMs = () => {
    const c = process.cpuUsage(c0)
    return Math.round((c.user + c.system) / 1000)
  }
  if (kind === 'build') {
    const { index, stats } = await buildPacked(paths, buildOptions)
    out.buildMs = Math.round(performance.now() - t0)
    out.cpuMs = cpuMs()
    out.peak = hwm()
    out.rssAfter = status('VmRSS')
    out.stats = stats
    out.counts = index.counts
    out.layout = { mainBits: index.main.bits, dayBits: index.dayBits, mpidBits: index.mpidBits, periodBits: 2 * index.dayBits + index.mpidBits + 1, devBits: index.dev.bits, refBits: index.dev.refBits, dayBase: formatDay(index.dayBase), periods: index.nPeriods, orphans: index.orphans.n, deviceRows: index.dev.rows }
    out.bytes = sizesOf(index)
    out.indexBytes = byteSizeOf(index)
    if (measured !== kind) return out
    const tw = performance.now()
    out.snapshotBytes = writePacked(packedFile, index)
    out.snapshotWriteMs = Math.round(performance.now() - tw)
    return out
  }
  if (kind === 'snapshot') {
    const x = readPacked(packedFile)
    out.readyMs = Math.round(performance.now() - t0)
    out.peak = hwm()
    out.indexBytes = byteSizeOf(x)
    return out
  }
  if (kind === 'reload-files' || kind === 'reload-snapshot') {
    let live: PackedIndex = readPacked(packedFile)
    out.readyMs = Math.round(performance.now() - t0)
    gc()
    out.rssWithOne = status('VmRSS')
    const t1 = performance.now()
    const next = kind === 'reload-files' ? (await buildPacked(paths, buildOptions)).index : readPacked(packedFile)
    out.reloadMs = Math.round(performance.now() - t1)
    out.peak = hwm()
    out.rssWithTwo = status('VmRSS')
    live = next // the swap: the old index is garbage from here
    gc()
    out.rssAfterSwap = status('VmRSS')
    out.indexBytes = byteSizeOf(live)
    return out
  }
  if (kind === 'today-files') {
    // today's build from the files (src/registry, as `npm run bench:registry` measures it): the in-run baseline
    const r = await loadRegistry(paths, { maxRejectRatio: 0.01 })
    out.buildMs = Math.round(performance.now() - t0)
    out.cpuMs = cpuMs()
    out.peak = hwm()
    out.indexBytes = r.index.byteSize()
    return out
  }
  if (kind === 'today-reload-snapshot') {
    let live = await todayIndex(dir, snapDir)
    out.readyMs = Math.round(performance.now() - t0)
    gc()
    out.rssWithOne = status('VmRSS')
    const next = await todayIndex(dir, snapDir)
    out.peak = hwm()
    out.rssWithTwo = status('VmRSS')
    out.source = [live.source, next.source]
    live = next
    gc()
    out.rssAfterSwap = status('VmRSS')
    out.indexBytes = live.index.byteSize()
    return out
  }
  if (kind === 'verify') {
    const t = await todayIndex(dir, snapDir)
    out.todaySource = t.source
    out.todayIndexBytes = t.index.byteSize()
    const px = new PackedRegistry(readPacked(packedFile))
    // --corrupt N: flips one bit in N period words and N device rows' role, and swaps the first two
    // links of N devices with several (same links, another order), to show the comparisons catch it
    const corrupt = Number(arg('corrupt', '0'))
    let swapped = 0
    for (let i = 0; i < corrupt; i++) {
      px.x.periods[Math.floor((i + 0.5) * (px.x.periods.length / corrupt))]! ^= 1 << (i % 32)
      px.x.dev.meta[Math.floor((i + 0.5) * (px.x.dev.rows / corrupt))]! ^= 0x80
      for (let r = Math.floor((i + 0.5) * (px.x.dev.rows / corrupt)); r < px.x.dev.rows; ) {
        const e = px.deviceRowsEnd(r)
        if (e - r >= 2 && px.refOf(r) !== px.refOf(r + 1)) {
          const [a, b] = [px.refOf(r), px.refOf(r + 1)]
          setBits(px.x.dev.ref, r * px.x.dev.refBits, px.x.dev.refBits, b)
          setBits(px.x.dev.ref, (r + 1) * px.x.dev.refBits, px.x.dev.refBits, a)
          const m = px.x.dev.meta
          ;[m[r], m[r + 1]] = [m[r + 1]!, m[r]!]
          swapped++
          break
        }
        r = e
      }
    }
    out.corrupted = { periodBits: corrupt, roles: corrupt, linkOrders: swapped }
    out.packedIndexBytes = byteSizeOf(px.x)
    const bad: Mismatch[] = []
    const tf = performance.now()
    out.full = compareAll(t.index, px, bad)
    out.fullMs = Math.round(performance.now() - tf)
    const to = performance.now()
    out.linkOrder = await compareLinkOrder(px, paths, bad)
    out.linkOrderMs = Math.round(performance.now() - to)
    out.fullMismatches = bad.length
    const tr = performance.now()
    out.random = compareRandom(t.index, px, Number(arg('keys', '1000000')), bad)
    out.randomMs = Math.round(performance.now() - tr)
    out.mismatches = bad.length
    out.mismatchSamples = bad.slice(0, 20)
    out.rates = rates(t.index, px, Number(arg('rate-rounds', '7')))
    out.peak = hwm()
    return out
  }
  throw new Error(`unknown measurement ${kind}`)
}

/** This file as plain JavaScript for the children (no tsx loader thread in their peaks); dist/ stays an import. */
async function childScript(): Promise<string> {
  const { build } = await import('esbuild')
  const out = join(here, '.cache', 'registry-packed-child.mjs')
  // the devices.csv parser thread's entry beside it: packed-build.ts looks for it next to itself (the bundle)
  const entries = { 'registry-packed-child': fileURLToPath(import.meta.url), 'packed-devices-worker': join(here, 'lib', 'packed-devices-worker.ts') }
  await build({
    entryPoints: entries, bundle: true, platform: 'node', format: 'esm', outdir: join(here, '.cache'), outExtension: { '.js': '.mjs' }, logLevel: 'error',
    // dist/ modules have no side effects on import: what a bundle does not use is not loaded (the
    // worker would otherwise load all of dist/registry/index.js for the constants packed-index.ts imports, +4 MB)
    plugins: [{ name: 'dist-external', setup: (b) => b.onResolve({ filter: /\/dist\// }, (a) => ({ path: join(a.resolveDir, a.path), external: true, sideEffects: false })) }],
  })
  return out
}

// ---- the parent --------------------------------------------------------------------------------

function snapshotFileBytes(size: string): number | undefined {
  const d = join(here, '.cache', `snapshots-${size}`)
  if (!existsSync(d)) return undefined
  const f = readdirSync(d).filter((n) => n.endsWith('.snap')).sort().pop()
  return f ? statSync(join(d, f)).size : undefined
}

async function main() {
  if (argv.includes('--report')) {
    // the markdown again from the JSON, nothing measured
    const doc = JSON.parse(readFileSync(join(here, 'results', 'registry-packed.json'), 'utf8')) as Parameters<typeof writeMarkdown>[0]
    writeMarkdown(doc)
    return
  }
  const sizes = arg('sizes', 'edge,1e6').split(',').map((s) => (s === 'edge' ? s : String(Number(s))))
  const runs = Number(arg('runs', '3'))
  const only = arg('only', 'build,snapshot,verify,reload-files,reload-snapshot,today-reload-snapshot').split(',')
  const childJs = await childScript()
  const results: Record<string, unknown>[] = []
  for (const size of sizes) {
    const dir = join(here, '.cache', `world-${size}`)
    if (!existsSync(join(dir, 'manifest.json'))) {
      await generateWorld({ mpxns: size === 'edge' ? 1000 : Number(size), seed: 1 }, dir)
      if (size === 'edge') edgeWorld(dir) // its parties.yaml kept
    }
    const per: Record<string, Record<string, unknown>[]> = {}
    const order = ['today-files', 'build', 'build-here', 'snapshot', 'verify', 'reload-files', 'reload-files-here', 'reload-snapshot', 'today-reload-snapshot'].filter((k) => only.includes(k))
    if (!order.includes('build') && !existsSync(join(here, '.cache', `packed-${size}.snap`))) order.unshift('build')
    // rounds of all the kinds (not all runs of one kind, then the next): a change of load on the
    // shared machine falls on both sides of a same-run ratio
    for (let r = 0; r < runs; r++) {
      for (const kind of order) {
        if (kind === 'verify' && r > 0) continue
        const load = loadavg()[0]!
        const t = performance.now()
        const txt = execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=4096', childJs, '--child', kind, '--dir', dir, '--size', size, '--bench-dir', here, ...argv], { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] })
        const res = { ...(JSON.parse(txt.trim().split('\n').pop()!) as Record<string, unknown>), load1Before: load, load1After: loadavg()[0]!, wallMs: Math.round(performance.now() - t) }
        ;(per[kind] ??= []).push(res)
        console.error(`${size} ${kind} #${r + 1}: ${JSON.stringify({ ...res, rates: undefined, mismatchSamples: undefined, stats: undefined, bytes: undefined })}`)
      }
    }
    const counts = (per.build?.[0]?.counts ?? {}) as { mpxns?: number }
    results.push({ size, mpxns: counts.mpxns, todaySnapshotBytes: snapshotFileBytes(size), runs: per })
  }
  const file = join(here, 'results', 'registry-packed.json')
  // a size measured again keeps its earlier runs of the kinds not measured this time
  type SizeResult = { size: string; mpxns?: number; runs: Record<string, unknown[]> }
  const prevDoc = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { results: SizeResult[]; commands?: string[] }) : undefined
  const prev = prevDoc?.results ?? []
  const rank = (s: string) => (s === 'edge' ? 0 : Number(s))
  const merged = [...prev.filter((p) => !sizes.includes(p.size)), ...(results as SizeResult[]).map((r) => {
    const old = prev.find((p) => p.size === r.size)
    return old ? { ...old, ...r, mpxns: r.mpxns ?? old.mpxns, runs: { ...old.runs, ...r.runs } } : r
  })].sort((a, b) => rank(a.size) - rank(b.size))
  const doc = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    /** every run whose results the file still holds some of, oldest first */
    commands: [...(prevDoc?.commands ?? []), `${new Date().toISOString().slice(0, 16)}Z npm run bench:registry-packed -- ${argv.join(' ')}`.trim()],
    results: merged,
  }
  writeFileSync(file, JSON.stringify(doc, null, 1) + '\n')
  writeMarkdown(doc)
}

type Run = Record<string, unknown>
const fixed = (v: number, d = 1) => (Number.isNaN(v) ? '-' : v.toFixed(d))
const med = (rs: Run[] | undefined, f: (r: Run) => number) => (rs && rs.length ? median(rs.map(f)) : NaN)
const num = (v: unknown) => v as number

/** Replaces the measured part of registry-packed.md (between its markers); the analysis around it stays. */
function writeMarkdown(doc: { date: string; machine: Record<string, unknown>; commands: string[]; results: unknown[] }): void {
  const lines: string[] = []
  lines.push(`Measured ${doc.date.slice(0, 16)}Z on ${doc.machine.cpus} x ${String(doc.machine.model)}, ${String(doc.machine.memGiB)} GiB, Node ${String(doc.machine.node)}. Medians of the runs; each run a fresh child process; peak RSS = its VmHWM (Node's own ~45-67 MB included). 1-minute load average before/after each run in the JSON. Commands (each measures the kinds it names; a kind measured again replaces that kind's runs):`, '', ...doc.commands.map((c) => `- \`${c}\``), '')
  lines.push('| MPxNs | today: index (snapshot file) | packed: index | B/MPxN today / packed | packed build from files (peak RSS) | packed from its snapshot (peak RSS) | reload, packed: from files / from snapshot | reload, today from snapshot (in-run) | load 1-min (min-max) |')
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  const label = (s: string) => (s === 'edge' ? 'edge cases' : Number(s).toExponential(0).replace('e+', 'e'))
  for (const r of doc.results as { size: string; mpxns: number; todaySnapshotBytes?: number; runs: Record<string, Run[]> }[]) {
    const R = r.runs
    const v = R.verify?.[0]
    const todayBytes = v ? num(v.todayIndexBytes) : med(R['today-reload-snapshot'], (x) => num(x.indexBytes))
    const packedBytes = med(R.build ?? R.snapshot, (x) => num(x.indexBytes))
    const loads = Object.values(R).flat().flatMap((x) => [num(x.load1Before), num(x.load1After)])
    lines.push(`| ${label(r.size)} (${r.mpxns}) | ${MB(todayBytes)} MB (${r.todaySnapshotBytes ? MB(r.todaySnapshotBytes) : '?'} MB) | ${MB(packedBytes)} MB | ${(todayBytes / r.mpxns).toFixed(1)} / ${(packedBytes / r.mpxns).toFixed(1)} | ${fixed(med(R.build, (x) => num(x.buildMs)) / 1000)} s (${MB(med(R.build, (x) => num(x.peak)))} MB) | ${fixed(med(R.snapshot, (x) => num(x.readyMs)), 0)} ms (${MB(med(R.snapshot, (x) => num(x.peak)))} MB) | ${MB(med(R['reload-files'], (x) => num(x.peak)))} / ${MB(med(R['reload-snapshot'], (x) => num(x.peak)))} MB | ${MB(med(R['today-reload-snapshot'], (x) => num(x.peak)))} MB | ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} |`)
  }
  lines.push('')
  lines.push('Build from the files, in the same rounds (median of the runs; each run\'s time in brackets; ratio = packed / today\'s in-run median; `-here`: the packed build in one thread):', '')
  lines.push('| MPxNs | today\'s build from files (peak RSS) | packed build (peak RSS) | ratio | packed build, one thread (peak RSS) | ratio | CPU s of the process: today / packed / one thread | reload from files, packed: build / one thread (peak RSS) | temp files | working arrays | load 1-min of these runs (min-max) |')
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  const secs = (rs: Run[] | undefined, k = 'buildMs') => (rs?.length ? `${fixed(med(rs, (x) => num(x[k])) / 1000)} s [${rs.map((x) => fixed(num(x[k]) / 1000)).join(', ')}]` : '-')
  for (const r of doc.results as { size: string; mpxns: number; runs: Record<string, Run[]> }[]) {
    const R = r.runs
    if (!R['today-files'] && !R['build-here']) continue
    const today = med(R['today-files'], (x) => num(x.buildMs))
    const st = (R.build ?? R['build-here'])?.[0]?.stats as { tempBytes?: number; stagingBytes?: number } | undefined
    const these = ['today-files', 'build', 'build-here', 'reload-files', 'reload-files-here'].flatMap((k) => R[k] ?? [])
    const loads = these.flatMap((x) => [num(x.load1Before), num(x.load1After)])
    lines.push(`| ${label(r.size)} | ${secs(R['today-files'])} (${MB(med(R['today-files'], (x) => num(x.peak)))} MB) | ${secs(R.build)} (${MB(med(R.build, (x) => num(x.peak)))} MB) | ${fixed(med(R.build, (x) => num(x.buildMs)) / today, 2)} | ${secs(R['build-here'])} (${MB(med(R['build-here'], (x) => num(x.peak)))} MB) | ${fixed(med(R['build-here'], (x) => num(x.buildMs)) / today, 2)} | ${['today-files', 'build', 'build-here'].map((k) => fixed(med(R[k], (x) => num(x.cpuMs)) / 1000)).join(' / ')} | ${secs(R['reload-files'], 'reloadMs')} / ${secs(R['reload-files-here'], 'reloadMs')} (${MB(med(R['reload-files'], (x) => num(x.peak)))} / ${MB(med(R['reload-files-here'], (x) => num(x.peak)))} MB) | ${st?.tempBytes ? MB(st.tempBytes) + ' MB' : '-'} | ${st?.stagingBytes ? MB(st.stagingBytes) + ' MB' : '-'} | ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} |`)
  }
  lines.push('')
  for (const r of doc.results as { size: string; mpxns: number; runs: Record<string, Run[]> }[]) {
    const b = r.runs.build?.[0]
    if (b) {
      const bytes = b.bytes as Record<string, number>
      lines.push(`Packed index at ${label(r.size)}, per array (layout ${JSON.stringify(b.layout)}; build passes ${JSON.stringify((b.stats as { passes: unknown }).passes)}, staging ${MB(num((b.stats as { stagingBytes: number }).stagingBytes))} MB):`, '')
      lines.push('| array | bytes | MB | B/MPxN |', '|---|---:|---:|---:|')
      for (const [k, n] of Object.entries(bytes)) lines.push(`| ${k} | ${n} | ${MB(n)} | ${(n / r.mpxns).toFixed(2)} |`)
      lines.push(`| **total** | ${num(b.indexBytes)} | ${MB(num(b.indexBytes))} | ${(num(b.indexBytes) / r.mpxns).toFixed(2)} |`, '')
    }
    const v = r.runs.verify?.[0]
    if (v) {
      lines.push(`Correctness at ${label(r.size)}: every stored MPxN, orphan and device row (${JSON.stringify(v.full)}; links in devices.csv's order, checked against the file: ${JSON.stringify(v.linkOrder ?? 'not checked')}): ${num(v.fullMismatches)} mismatches; ${JSON.stringify(v.random)} random keys through the hot path: **${num(v.mismatches)} mismatches in all**${num(v.mismatches) ? ` (first: ${JSON.stringify(v.mismatchSamples)})` : ''}.`, '')
      const rt = v.rates as Record<string, { todayNs: number; packedNs: number; ratio: number }>
      lines.push('| lookup (200k hit keys, same process, interleaved rounds, median of 6) | today ns | packed ns | packed / today |', '|---|---:|---:|---:|')
      for (const [k, x] of Object.entries(rt)) if (typeof x === 'object') lines.push(`| ${k} | ${x.todayNs} | ${x.packedNs} | ${x.ratio} |`)
      lines.push('')
    }
  }
  const file = join(here, 'results', 'registry-packed.md')
  const begin = '<!-- measured: written by bench/registry-packed.bench.ts -->'
  const end = '<!-- end of measured -->'
  const old = existsSync(file) ? readFileSync(file, 'utf8') : `# Sorted, bit-packed registry index: measured\n\n${begin}\n${end}\n`
  const a = old.indexOf(begin)
  const z = old.indexOf(end)
  writeFileSync(file, `${old.slice(0, a + begin.length)}\n${lines.join('\n')}\n${old.slice(z)}`)
}

if (argv.includes('--child')) {
  const r = await child(arg('child', ''), arg('dir', ''), arg('size', ''))
  process.stdout.write(JSON.stringify(r) + '\n')
  process.exit(0)
} else {
  await main()
}
