// bench: the three candidates for the durable hot path (docs/performance.md, "The store's hot path"), measured in ONE run
// on this machine, interleaved: the segment journal (src/store/journal), lmdb-js, and SQLite
// restructured (one row per deliverable message on an INTEGER key, batched inserts and deletes,
// no secondary index: the due queue lives in memory). 1.5 KB records, 64 appends in flight, each
// append settled only once durable (fdatasync / synchronous=FULL / lmdb's flushed promise).
//   npm run bench:store            (RUNS=3 APPENDS=20000 BENCH_DIR=<not tmpfs> LABEL=<suffix>)
// Writes bench/results/store-candidates.{json,md} (store-candidates.LABEL.{json,md} with LABEL).
import { closeSync, fdatasyncSync, mkdirSync, mkdtempSync, openSync, rmSync, statfsSync, unlinkSync, writeFileSync, writeSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { open as openLmdb } from 'lmdb'
import { Journal } from '../src/store/journal/index.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const RUNS = Number(process.env.RUNS ?? 3)
const APPENDS = Number(process.env.APPENDS ?? 20_000)
const IN_FLIGHT = 64
const RECORD_BYTES = 1536
const SEGMENT_BYTES = 16 * 1024 * 1024 // small enough that every run rolls (and preallocates) segments
const BASE = process.env.BENCH_DIR ?? join(ROOT, 'bench/.store-candidates')
mkdirSync(BASE, { recursive: true })
const OUT = `store-candidates${process.env.LABEL ? `.${process.env.LABEL}` : ''}`
const TMPFS = 0x01021994
if (statfsSync(BASE).type === TMPFS) throw new Error(`${BASE} is tmpfs: fdatasync costs nothing there; set BENCH_DIR to a real disk`)

/** what each candidate is asked to do: a durable append, and the later "delivered" settle */
interface Store {
  /** resolves once the record is durable */
  append(seq: number, body: Buffer): Promise<void>
  /** the delivered mark / delete; need not wait for a sync (a crash can only repeat a delivery) */
  settle(seq: number): Promise<void> | void
  /** everything settled so far is durable */
  drain(): Promise<void>
  close(): Promise<void>
}
interface Candidate {
  name: string
  open(dir: string): Promise<Store>
}

const journal: Candidate = {
  name: 'segment journal (src/store/journal)',
  async open(dir) {
    const j = new Journal({ dir, segmentBytes: SEGMENT_BYTES })
    await j.open()
    const seqs = new Map<number, number>()
    return {
      append: async (key, body) => {
        seqs.set(key, await j.append(body, { open: true, payload: true }))
      },
      settle: (key) => {
        j.mark(seqs.get(key)!, 'delivered')
        seqs.delete(key)
      },
      drain: () => j.flush(),
      close: () => j.close(),
    }
  },
}

const lmdb: Candidate = {
  name: 'lmdb 3 (lmdb-js, overlappingSync, awaits `flushed`)',
  async open(dir) {
    const db = openLmdb<Buffer, number>({ path: dir, encoding: 'binary', compression: false, overlappingSync: true, separateFlushed: true })
    return {
      append: async (key, body) => {
        await (db.put(key, body) as Promise<boolean> & { flushed: Promise<void> }).flushed
      },
      settle: async (key) => {
        await db.remove(key)
      },
      drain: async () => {
        await db.flushed
      },
      close: () => db.close(),
    }
  },
}

const sqlite: Candidate = {
  name: 'SQLite restructured (better-sqlite3, WAL, synchronous=FULL)',
  async open(dir) {
    const db = new Database(join(dir, 'spool.db'))
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    // checkpoints would run on a second connection in a worker (src/store/checkpointer.ts): keep
    // them out of this loop; this favours SQLite slightly (the WAL only grows during a run)
    db.pragma('wal_autocheckpoint = 0')
    db.exec('CREATE TABLE spool (seq INTEGER PRIMARY KEY, target TEXT NOT NULL, due INTEGER NOT NULL, body BLOB NOT NULL)')
    const insert = db.prepare('INSERT INTO spool (seq, target, due, body) VALUES (?, ?, ?, ?)')
    const remove = db.prepare('DELETE FROM spool WHERE seq = ?')
    type Op = { kind: 'put'; seq: number; body: Buffer; done: () => void } | { kind: 'del'; seq: number; done: () => void }
    let pending: Op[] = []
    let scheduled = false
    const commit = db.transaction((ops: Op[]) => {
      for (const op of ops) {
        if (op.kind === 'put') insert.run(op.seq, 'adapter', 0, op.body)
        else remove.run(op.seq)
      }
    })
    // group commit on the event loop, as src/store/commit-queue.ts does: one transaction per turn
    const flush = (): void => {
      scheduled = false
      const ops = pending
      pending = []
      commit(ops)
      for (const op of ops) op.done()
    }
    const enqueue = (op: Op): void => {
      pending.push(op)
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    }
    return {
      append: (seq, body) => new Promise<void>((done) => enqueue({ kind: 'put', seq, body, done })),
      settle: (seq) => new Promise<void>((done) => enqueue({ kind: 'del', seq, done })),
      drain: async () => {
        if (pending.length > 0) flush()
      },
      close: async () => {
        db.close()
      },
    }
  },
}

const candidates = [journal, lmdb, sqlite]

/** what one 4 KiB overwrite + fdatasync costs on this disk, median of 500: the floor under every candidate */
function fdatasyncMicros(): number {
  const path = join(BASE, 'fsync-probe')
  const fd = openSync(path, 'w')
  const page = Buffer.alloc(4096, 1)
  const us: number[] = []
  for (let k = 0; k < 500; k++) {
    const t = performance.now()
    writeSync(fd, page, 0, page.length, (k % 64) * 4096)
    fdatasyncSync(fd)
    us.push((performance.now() - t) * 1000)
  }
  closeSync(fd)
  unlinkSync(path)
  return us.sort((a, b) => a - b)[us.length >> 1]!
}

interface Phase {
  perSecond: number
  loopMicrosPerOp: number
  cpuMicrosPerOp: number
  p50Ms: number
  p99Ms: number
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!
}

/** `n` operations, `IN_FLIGHT` at a time: rate, event-loop time and process CPU per operation */
async function phase(n: number, op: (k: number) => Promise<void> | void, drain: () => Promise<void>): Promise<Phase> {
  const lat = new Float64Array(n)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < n) {
      const k = next++
      const t = performance.now()
      await op(k)
      lat[k] = performance.now() - t
    }
  }
  const elu0 = performance.eventLoopUtilization()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
  await drain()
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const elu = performance.eventLoopUtilization(elu0)
  lat.sort()
  return {
    perSecond: n / (ms / 1000),
    loopMicrosPerOp: (elu.active * 1000) / n,
    cpuMicrosPerOp: (cpu.user + cpu.system) / n,
    p50Ms: percentile(lat, 0.5),
    p99Ms: percentile(lat, 0.99),
  }
}

async function runOnce(c: Candidate): Promise<{ append: Phase; settle: Phase }> {
  const dir = mkdtempSync(join(BASE, 'run-'))
  try {
    const store = await c.open(dir)
    const body = Buffer.alloc(RECORD_BYTES, 0x3c)
    const warm = 256
    for (let k = 0; k < warm; k++) await store.append(-1 - k, body) // first segment, file creation
    for (let k = 0; k < warm; k++) await store.settle(-1 - k)
    await store.drain()
    const append = await phase(APPENDS, (k) => store.append(k, body), async () => {})
    const settle = await phase(APPENDS, (k) => store.settle(k), () => store.drain())
    await store.close()
    return { append, settle }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const syncMicros = [fdatasyncMicros()]
const results: Record<string, { append: Phase[]; settle: Phase[] }> = Object.fromEntries(candidates.map((c) => [c.name, { append: [], settle: [] }]))
for (const c of candidates) await runOnce(c) // warm up (JIT, page cache, thread pool)
for (let r = 0; r < RUNS; r++) {
  for (const c of candidates) {
    const one = await runOnce(c)
    results[c.name]!.append.push(one.append)
    results[c.name]!.settle.push(one.settle)
    syncMicros.push(fdatasyncMicros())
    process.stderr.write(`run ${r + 1}/${RUNS} ${c.name}: ${Math.round(one.append.perSecond)} appends/s, ${one.append.loopMicrosPerOp.toFixed(1)} µs loop\n`)
  }
}
rmSync(BASE, { recursive: true, force: true })

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const summarise = (ps: Phase[]): Phase & { runs: number[] } => ({
  perSecond: median(ps.map((p) => p.perSecond)),
  loopMicrosPerOp: median(ps.map((p) => p.loopMicrosPerOp)),
  cpuMicrosPerOp: median(ps.map((p) => p.cpuMicrosPerOp)),
  p50Ms: median(ps.map((p) => p.p50Ms)),
  p99Ms: median(ps.map((p) => p.p99Ms)),
  runs: ps.map((p) => Math.round(p.perSecond)),
})
/** median over rounds of this candidate's rate divided by the journal's in the same round (load drifts between rounds) */
const ratio = (name: string, key: 'append' | 'settle'): number =>
  median(results[name]![key].map((p, r) => p.perSecond / results[journal.name]![key][r]!.perSecond))
const rows = candidates.map((c) => ({
  name: c.name,
  append: { ...summarise(results[c.name]!.append), xJournal: ratio(c.name, 'append') },
  settle: { ...summarise(results[c.name]!.settle), xJournal: ratio(c.name, 'settle') },
}))
const machine = `${os.cpus()[0]?.model.trim()} (${os.cpus().length} CPUs), Node ${process.version}`
const load = os.loadavg().map((l) => l.toFixed(1)).join(' / ')
const date = new Date().toISOString()
mkdirSync(join(ROOT, 'bench/results'), { recursive: true })
writeFileSync(
  join(ROOT, `bench/results/${OUT}.json`),
  JSON.stringify({ machine, date, loadAverageAtEnd: load, fdatasyncMicros: median(syncMicros), runs: RUNS, appendsPerRun: APPENDS, inFlight: IN_FLIGHT, recordBytes: RECORD_BYTES, journalSegmentBytes: SEGMENT_BYTES, rows }, null, 2) + '\n',
)
const f0 = (n: number): string => Math.round(n).toLocaleString('en-GB')
const f1 = (n: number): string => n.toFixed(1)
const md = [
  `# ${OUT}`,
  '',
  `Machine: ${machine}, ${date}; load average at the end ${load} (1 / 5 / 15 min; the machine is shared).`,
  `${f0(APPENDS)} records of ${RECORD_BYTES} bytes per run and candidate, ${IN_FLIGHT} in flight, ${RUNS} interleaved rounds after a warm-up round, medians;`,
  '"x journal" is the median over rounds of the rate divided by the journal\'s in the same round, the figure that load drifting between rounds disturbs least.',
  'Process CPU is CPU time, not wall time, so it also moves least with load.',
  `Every append settles only once durable. Regenerate: \`npm run bench:store\`.`,
  `One 4 KiB overwrite + fdatasync on this disk: ${f0(median(syncMicros))} µs (median, probed between rounds).`,
  '',
  '**Durable appends** (the 200 waits for this)',
  '',
  '| candidate | appends/s | x journal (same round) | event-loop µs / append | process CPU µs / append | p50 / p99 ms | runs (appends/s) |',
  '|---|---:|---:|---:|---:|---:|---|',
  ...rows.map((r) => `| ${r.name} | ${f0(r.append.perSecond)} | ${r.append.xJournal.toFixed(2)} | ${f1(r.append.loopMicrosPerOp)} | ${f1(r.append.cpuMicrosPerOp)} | ${f1(r.append.p50Ms)} / ${f1(r.append.p99Ms)} | ${r.append.runs.map(f0).join(', ')} |`),
  '',
  '**Settles** (the "delivered" mark or delete after the adapter\'s 2xx; not awaited durable per operation, drained at the end)',
  '',
  '| candidate | settles/s | x journal (same round) | event-loop µs / settle | process CPU µs / settle | runs (settles/s) |',
  '|---|---:|---:|---:|---:|---|',
  ...rows.map((r) => `| ${r.name} | ${f0(r.settle.perSecond)} | ${r.settle.xJournal.toFixed(2)} | ${f1(r.settle.loopMicrosPerOp)} | ${f1(r.settle.cpuMicrosPerOp)} | ${r.settle.runs.map(f0).join(', ')} |`),
  '',
  'Event-loop µs: `performance.eventLoopUtilization()` active time over the phase, per operation: what the one',
  'thread that also runs HTTP, parsing and delivery would pay. Process CPU: `process.cpuUsage()`, all threads',
  '(libuv pool, lmdb\'s writer, SQLite on the main thread). The journal runs with ' + `${SEGMENT_BYTES / 1024 / 1024} MiB segments, so every run`,
  'rolls and zero-fills new segments (as production does, ahead of need). SQLite runs without WAL checkpoints',
  '(they would run on a second connection in a worker), which flatters it a little.',
  '',
]
writeFileSync(join(ROOT, `bench/results/${OUT}.md`), md.join('\n'))
console.log(md.join('\n'))
