// Soak (docs/operations.md, "Faults and what the gateway does"): the replay's realistic traffic, open loop at 80% of the peak measured at the
// start of the same run, a SIGKILL of the gateway every 30 s and a restart, zero-loss accounting
// at the end, and the gateway's RSS and journal size sampled every few seconds. Not run in CI.
//   npm run soak -- --minutes 20            (build first: the gateway runs from dist/)
// Options: --minutes N (default 20)  --rate N (skip the peak measurement)  --kill-every S (30)
//          --share X (0.8 of the peak)  --sample-every S (2)  --peak-seconds S (10)
//          --messages N --mpxns N (traffic, default the quick replay's 20,000 over 100k MPxNs)
//          --out DIR (default bench/results; writes soak.json and soak.md)
//          --dedupe-window D (the gateway's dedupe.window, e.g. 2m; default the gateway's, 7d)
//          --render FILE (recompute the memory section and the Markdown of a saved soak.json)
//
// The sender behaves like the DCC: every message is repeated, with the same bytes (so the gateway's
// dedupe applies), until it gets a final answer (200 or 422); a connection error or a 503 is not
// one. Like the DCC's, its window is bounded: at most WINDOW messages are on their way (sent, or
// waiting to be repeated) at once, and the rest wait in its queue in arrival order. Arrivals keep
// their schedule whatever the answers (open loop), and each message's latency and 180 s give-up
// count from the moment it was due, so waiting in the queue is counted, not hidden. (The first
// soaks handed every due message straight to undici: after a kill, hundreds of thousands of
// queued requests failed and were retried at once, a burst that took the cores the restart needed.)
// The traffic file is replayed in laps; lap L > 0 moves the counter in every ID by L * 2^40, so
// each message is new to the gateway and keeps the oracle's expected outcome.
//
// Accounting, from the sender's answers and the sink's receipts (bench/sink.ts), per message:
// - lost: answered 200 deliver (forward) and no receipt at the adapter (notice endpoint) with its
//   Idempotency-Key (messageId); a delivered body must be the bytes sent (sha256);
// - duplicates: a key received more than once is allowed only when a SIGKILL happened between its
//   first receipt and the repeat; one body under two keys, or a receipt for a key never answered
//   200, is a problem;
// - every answer's decision/reason is the oracle's; a `duplicate: true` answer only after a retry.
// Memory: flat when the least-squares slope of the gateway's RSS, over the samples taken at least
// 10 s after each restart and after the run's warm-up, extrapolated over that period, stays under
// 10% of their median (the same rule is reported for the journal's bytes on disk).
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { Pool } from 'undici'
import { metricSum, ROOT, rssMiB, scrapeMetrics, startGatewayProcess, startSinkProcess, waitForDrain, type Child } from './replay-procs.js'
import { writeGatewayRun } from './replay-run.js'
import { fetchReceipts, type Receipt } from './sink.js'
import { loadTraffic, type Traffic } from './traffic.js'
import { Laps, QUICK_TRAFFIC } from './traffic-laps.js'
import { loadWorldModel } from './traffic-world.js'

const argv = process.argv.slice(2)
const opt = (name: string, def: number): number => {
  const i = argv.indexOf(`--${name}`)
  if (i < 0) return def
  const v = Number(argv[i + 1])
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name}: expected a positive number`)
  return v
}
const MINUTES = opt('minutes', 20)
const FIXED_RATE = argv.includes('--rate') ? opt('rate', 0) : undefined
const SHARE = opt('share', 0.8)
const KILL_EVERY_S = opt('kill-every', 30)
const SAMPLE_EVERY_S = opt('sample-every', 2)
const PEAK_SECONDS = opt('peak-seconds', 10)
const STEADY_AFTER_RESTART_S = 10
const CONNECTIONS = 64
/** messages on their way at once in the open loop (the rest wait in the sender's queue) */
const WINDOW = 2 * CONNECTIONS
const outIdx = argv.indexOf('--out')
const OUT = outIdx >= 0 ? argv[outIdx + 1]! : join(ROOT, 'bench/results')
const CACHE = join(ROOT, 'bench/.cache')
const windowIdx = argv.indexOf('--dedupe-window')
const DEDUPE_WINDOW = windowIdx >= 0 ? argv[windowIdx + 1]! : undefined
const TRAFFIC = { ...QUICK_TRAFFIC, messages: opt('messages', QUICK_TRAFFIC.messages), mpxns: opt('mpxns', QUICK_TRAFFIC.mpxns) }

const log = (s: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)]!
}
const round = (x: number, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null)

// ---- the gateway, killed and restarted --------------------------------------------------------

interface Incarnation {
  n: number
  child: Child
  pool: Pool
  /** ms since the soak's t0 */
  startedAt: number
  listeningAt: number
  readyAt?: number
}

class Gateway {
  current!: Incarnation
  #ready!: Promise<void>
  #open: () => void = () => {}
  readonly kills: { at: number; wallAt: number; downMs?: number; readyMs?: number }[] = []
  readonly unexpectedExits: string[] = []
  #count = 0
  #stopping = false

  constructor(readonly configFile: string, readonly t0: number) {
    this.#close()
  }

  /** Senders wait on this until the next incarnation listens. */
  #close(): void {
    this.#ready = new Promise((r) => (this.#open = r))
  }

  get ready(): Promise<void> {
    return this.#ready
  }

  async start(): Promise<Incarnation> {
    const startedAt = performance.now() - this.t0
    const child = await startGatewayProcess(this.configFile)
    const inc: Incarnation = { n: ++this.#count, child, startedAt, listeningAt: performance.now() - this.t0,
      pool: new Pool(new URL(child.url).origin, { connections: CONNECTIONS, pipelining: 1, keepAliveTimeout: 60_000 }) }
    child.proc.once('exit', (code, signal) => {
      if (!this.#stopping && signal !== 'SIGKILL') this.unexpectedExits.push(`incarnation ${inc.n} exited (${code ?? signal}): ${child.output().slice(-1500)}`)
    })
    this.current = inc
    this.#open()
    // /readyz turns 200 once the journal is recovered and the dedupe memory rebuilt
    for (;;) {
      try {
        if ((await fetch(`${child.url}/readyz`)).status === 200) break
      } catch {
        /* starting */
      }
      await sleep(50)
    }
    inc.readyAt = performance.now() - this.t0
    return inc
  }

  async kill(): Promise<void> {
    const inc = this.current
    const at = performance.now() - this.t0
    const exited = once(inc.child.proc, 'exit')
    inc.child.proc.kill('SIGKILL')
    this.#close()
    await exited
    void inc.pool.destroy().catch(() => undefined)
    const kill: (typeof this.kills)[number] = { at, wallAt: Date.now() }
    this.kills.push(kill)
    const next = await this.start()
    kill.downMs = next.listeningAt - at
    kill.readyMs = next.readyAt! - at
  }

  async stop(): Promise<void> {
    this.#stopping = true
    await this.current.pool.close().catch(() => undefined)
    await this.current.child.stop()
  }
}

// ---- the sender ---------------------------------------------------------------------------------

const OUTCOME = new Map<string, number>()
const OUTCOME_NAMES: string[] = ['']
const outcomeCode = (s: string) => {
  let c = OUTCOME.get(s)
  if (c === undefined) OUTCOME.set(s, (c = OUTCOME_NAMES.push(s) - 1))
  return c
}

class Sender {
  cap: number
  status: Int16Array
  outcome: Uint8Array
  attempts: Uint16Array
  dupAnswer: Uint8Array
  latencyMs: Float32Array
  /** messageId of every 200 deliver/forward (what the sink must hold) */
  readonly ids = new Map<string, number>()
  sent = 0
  answered = 0
  ok200 = 0
  retries = 0
  readonly failures: string[] = []
  readonly #inFlight = new Set<Promise<void>>()
  /** the open loop's queue: message index and due time, pairs from #head on */
  #queue: number[] = []
  #head = 0
  readonly #workers = new Set<Promise<void>>()
  #active = 0

  constructor(readonly laps: Laps, readonly gw: Gateway, cap: number) {
    this.cap = cap
    this.status = new Int16Array(cap)
    this.outcome = new Uint8Array(cap)
    this.attempts = new Uint16Array(cap)
    this.dupAnswer = new Uint8Array(cap)
    this.latencyMs = new Float32Array(cap)
  }

  /** messages without a final answer yet: on their way, or waiting in the open loop's queue */
  get inFlight(): number {
    return this.#inFlight.size + this.#active + (this.#queue.length - this.#head) / 2
  }

  #grow(): void {
    const g = <T extends Int16Array | Uint8Array | Uint16Array | Float32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(this.cap * 2)
      b.set(a)
      return b
    }
    this.status = g(this.status)
    this.outcome = g(this.outcome)
    this.attempts = g(this.attempts)
    this.dupAnswer = g(this.dupAnswer)
    this.latencyMs = g(this.latencyMs)
    this.cap *= 2
  }

  /** Sends message `i` (due at `due`, performance.now() ms) until it has a final answer. */
  send(i: number, due: number): Promise<void> {
    this.#count(i)
    const p = this.#send(i, due).finally(() => this.#inFlight.delete(p))
    this.#inFlight.add(p)
    return p
  }

  /** Queues message `i`, due now; at most WINDOW messages are sent at once, the rest wait in order. */
  offer(i: number, due: number): void {
    this.#count(i)
    this.#queue.push(i, due)
    if (this.#workers.size < WINDOW) {
      const w = this.#work().finally(() => this.#workers.delete(w))
      this.#workers.add(w)
    }
  }

  /** room for message `i`'s results, and one more sent */
  #count(i: number): void {
    if (i >= this.cap) this.#grow()
    this.sent++
  }

  async #work(): Promise<void> {
    while (this.#head < this.#queue.length) {
      const i = this.#queue[this.#head]!
      const due = this.#queue[this.#head + 1]!
      this.#head += 2
      if (this.#head > 1 << 16 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head)
        this.#head = 0
      }
      this.#active++
      await this.#send(i, due)
      this.#active--
    }
  }

  async #send(i: number, due: number): Promise<void> {
    const body = this.laps.body(i)
    const giveUp = due + 180_000
    for (let attempt = 1; ; attempt++) {
      await this.gw.ready
      const pool = this.gw.current.pool
      let status = 0
      let text = ''
      let retryAfter = 0
      try {
        const res = await pool.request({ method: 'POST', path: '/duis', body, headers: { 'content-type': 'application/xml' }, headersTimeout: 30_000, bodyTimeout: 30_000 })
        status = res.statusCode
        text = await res.body.text()
        retryAfter = Number(res.headers['retry-after'] ?? 0)
      } catch {
        status = 0
      }
      this.attempts[i] = attempt
      if (status === 200 || status === 422) {
        this.status[i] = status
        this.latencyMs[i] = performance.now() - due
        this.answered++
        try {
          const j = JSON.parse(text) as { decision?: string; reason?: string; messageId?: string; duplicate?: boolean }
          if (status === 200) {
            this.ok200++
            this.outcome[i] = outcomeCode(`${j.decision}/${j.reason}`)
            if (j.duplicate) this.dupAnswer[i] = 1
            if ((j.decision === 'deliver' || j.decision === 'forward') && j.messageId) this.ids.set(j.messageId, i)
          } else this.outcome[i] = outcomeCode('quarantine/malformed')
        } catch {
          this.failures.push(`#${i}: HTTP ${status} with a body that is not JSON`)
        }
        return
      }
      if (status !== 0 && status !== 503) {
        this.status[i] = status
        this.answered++
        this.failures.push(`#${i}: HTTP ${status}: ${text.slice(0, 200)}`)
        return
      }
      if (performance.now() > giveUp) {
        this.failures.push(`#${i}: no final answer after ${attempt} attempts (last ${status})`)
        return
      }
      this.retries++
      // a refused connection (the gateway is down) backs off exponentially with jitter, 50 ms doubling
      // to 2 s, as a sender that does not hammer a restarting peer: the first soaks retried every
      // 20-100 ms, and with 100k+ messages waiting that storm took the cores the restart needed
      await sleep(status === 503 ? Math.min(1000, Math.max(50, retryAfter * 1000)) : Math.min(2000, 50 * 2 ** Math.min(attempt - 1, 6)) * (0.5 + Math.random()))
    }
  }

  async settle(): Promise<void> {
    while (this.#inFlight.size + this.#workers.size > 0) await Promise.all([...this.#inFlight, ...this.#workers])
  }
}

/** Closed loop, CONNECTIONS senders back to back: answers 200 per second (the peak). */
async function measurePeak(s: Sender, first: number, seconds: number): Promise<{ rate: number; next: number }> {
  let next = first
  let ok = 0
  const until = performance.now() + seconds * 1000
  const t0 = performance.now()
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (performance.now() < until) {
      const i = next++
      await s.send(i, performance.now())
      if (s.status[i] === 200 || s.status[i] === 422) ok++
    }
  }))
  return { rate: ok / ((performance.now() - t0) / 1000), next }
}

// ---- samples --------------------------------------------------------------------------------------

interface Sample {
  t: number
  incarnation: number
  sinceReadyS: number | null
  rssMiB: number | null
  journalBytes: number | null
  journalSegments: number | null
  spoolDepth: number | null
  dataDirMiB: number
  /** the data folder's top-level entries (journal/, gateway.db, gateway.db-wal, ...), MiB */
  files: Record<string, number>
  sent: number
  answered200: number
  inFlight: number
  load1: number
}

function dirBytes(dir: string): number {
  let total = 0
  let entries: string[] = []
  try {
    entries = readdirSync(dir)
  } catch {
    return 0
  }
  for (const e of entries) {
    try {
      const st = statSync(join(dir, e))
      total += st.isDirectory() ? dirBytes(join(dir, e)) : st.size
    } catch {
      /* removed meanwhile (a retired segment) */
    }
  }
  return total
}

function entriesMiB(dir: string): Record<string, number> {
  const out: Record<string, number> = {}
  let entries: string[] = []
  try {
    entries = readdirSync(dir)
  } catch {
    return out
  }
  for (const e of entries) {
    try {
      const st = statSync(join(dir, e))
      out[e] = round((st.isDirectory() ? dirBytes(join(dir, e)) : st.size) / 2 ** 20, 2)!
    } catch {
      /* removed meanwhile */
    }
  }
  return out
}

async function sample(gw: Gateway, s: Sender, dataDir: string, t0: number): Promise<Sample> {
  const inc = gw.current
  const t = performance.now() - t0
  let m: Map<string, number> | undefined
  try {
    m = await scrapeMetrics(inc.child.url)
  } catch {
    /* restarting */
  }
  const rss = rssMiB(inc.child.pid)
  const files = entriesMiB(dataDir)
  return {
    t: round(t / 1000, 1)!, incarnation: inc.n, sinceReadyS: inc.readyAt === undefined ? null : round((t - inc.readyAt) / 1000, 1),
    rssMiB: round(rss, 1), journalBytes: m ? metricSum(m, 'dccgw_journal_bytes') : null, journalSegments: m ? metricSum(m, 'dccgw_journal_segments') : null,
    spoolDepth: m ? metricSum(m, 'dccgw_spool_depth') : null, dataDirMiB: round(Object.values(files).reduce((a, b) => a + b, 0), 2)!, files,
    sent: s.sent, answered200: s.ok200, inFlight: s.inFlight, load1: round(loadavg()[0]!, 2)!,
  }
}

/** Least squares y = a + b x; b per unit of x. */
function slope(points: [number, number][]): number {
  const n = points.length
  if (n < 2) return NaN
  const mx = points.reduce((a, p) => a + p[0], 0) / n
  const my = points.reduce((a, p) => a + p[1], 0) / n
  let num = 0
  let den = 0
  for (const [x, y] of points) {
    num += (x - mx) * (y - my)
    den += (x - mx) ** 2
  }
  return den === 0 ? NaN : num / den
}

interface Trend {
  samples: number; fromS: number; toS: number; median: number; slopePerMin: number; growthOverPeriod: number; growthPct: number; flat: boolean; perIncarnationMedians: number[]
  /** the slope of each incarnation's lowest steady sample (after its collections), per minute: what stays once the heap's sawtooth is left out */
  minimaSlopePerMin: number
  /** the slope of the value against the machine's 1-minute load average (per unit of load): a loaded machine lets the heap grow further between collections */
  perLoadUnit: number
}

/** Steady-state samples (>= 10 s after a restart, after the warm-up): slope, and the 10% rule. */
function trend(samples: Sample[], warmupS: number, value: (s: Sample) => number | null): Trend {
  const steady = samples.filter((s) => s.t >= warmupS && s.sinceReadyS !== null && s.sinceReadyS >= STEADY_AFTER_RESTART_S && value(s) !== null && Number.isFinite(value(s)!))
  const pts = steady.map((s) => [s.t / 60, value(s)!] as [number, number])
  const b = slope(pts)
  const med = median(pts.map((p) => p[1]))
  const span = pts.length > 1 ? pts[pts.length - 1]![0] - pts[0]![0] : 0
  const byInc = new Map<number, number[]>()
  for (const s of steady) byInc.set(s.incarnation, [...(byInc.get(s.incarnation) ?? []), value(s)!])
  const firstT = new Map<number, number>()
  for (const s of steady) if (!firstT.has(s.incarnation)) firstT.set(s.incarnation, s.t / 60)
  const minima = [...byInc].map(([n, v]) => [firstT.get(n)!, Math.min(...v)] as [number, number])
  const growth = b * span
  return {
    samples: pts.length, fromS: steady[0]?.t ?? NaN, toS: steady.at(-1)?.t ?? NaN, median: round(med, 2)!, slopePerMin: round(b, 3)!,
    growthOverPeriod: round(growth, 2)!, growthPct: round((100 * growth) / med, 1)!, flat: Number.isFinite(growth) && Math.abs(growth) < 0.1 * med,
    perIncarnationMedians: [...byInc.values()].map((v) => round(median(v), 1)!),
    minimaSlopePerMin: round(slope(minima), 3)!, perLoadUnit: round(slope(steady.map((s) => [s.load1, value(s)!] as [number, number])), 2)!,
  }
}

// ---- accounting -----------------------------------------------------------------------------------

interface SoakAccounting {
  ok: boolean
  sent: number
  answered200: number
  answered422: number
  noFinalAnswer: number
  expectedAtSink: { delivered: number; forwarded: number }
  lost: number
  receipts: number
  duplicateReceipts: number
  duplicatesAroundKill: number
  duplicateKeys: number
  duplicateAnswers: number
  quarantineNotices: number
  escalations: number
  oracleMismatches: number
  problems: string[]
  problemCount: number
}

function account(s: Sender, laps: Laps, receipts: Receipt[], killWallTimes: number[]): SoakAccounting {
  const problems: string[] = []
  let problemCount = 0
  const problem = (p: string) => {
    if (problemCount++ < 40) problems.push(p)
  }
  let ok422 = 0
  let noAnswer = 0
  let oracle = 0
  let dupAnswers = 0
  const want = { delivered: 0, forwarded: 0 }
  for (let i = 0; i < s.sent; i++) {
    const e = laps.expected(i)
    const st = s.status[i]!
    if (st === 0) {
      noAnswer++
      continue
    }
    if (st === 422) ok422++
    if (st !== e.status || OUTCOME_NAMES[s.outcome[i]!] !== `${e.decision}/${e.reason}`) {
      oracle++
      problem(`#${i}: got ${st} ${OUTCOME_NAMES[s.outcome[i]!]}, oracle expects ${e.status} ${e.decision}/${e.reason}`)
    }
    if (s.dupAnswer[i]) {
      dupAnswers++
      if (s.attempts[i]! < 2) problem(`#${i}: answered duplicate on its first attempt`)
    }
  }
  for (const f of s.failures) problem(f)
  const byKey = new Map<string, Receipt[]>()
  const keyOfBody = new Map<string, string>()
  let quarantineNotices = 0
  let escalations = 0
  for (const r of receipts) {
    const kind = r.t.startsWith('/adapter/') ? 'delivered' : r.t.startsWith('/notice/') ? 'forwarded' : 'other'
    if (kind === 'forwarded' && r.n?.type === 'critical-quarantined') {
      quarantineNotices++
      continue
    }
    if (kind === 'forwarded' && /#(secondary|escalation|fallback)$/.test(r.k)) {
      escalations++
      continue
    }
    const slot = `${kind} ${r.k}`
    byKey.set(slot, [...(byKey.get(slot) ?? []), r])
    if (kind === 'delivered') {
      const other = keyOfBody.get(r.h)
      if (other !== undefined && other !== r.k) problem(`sink: the same body under keys ${other} and ${r.k}`)
      keyOfBody.set(r.h, r.k)
    }
  }
  let lost = 0
  for (const [id, i] of s.ids) {
    const e = laps.expected(i)
    const kind = e.decision === 'deliver' ? 'delivered' : 'forwarded'
    want[kind]++
    const got = byKey.get(`${kind} ${id}`)
    if (!got) {
      lost++
      problem(`#${i} ${id}: answered 200 ${e.decision}, never reached the sink`)
      continue
    }
    if (kind === 'delivered') {
      const h = createHash('sha256').update(laps.body(i)).digest('hex')
      for (const r of got) if (r.h !== h) problem(`#${i} ${id}: delivered body differs from the bytes sent`)
    }
    if (e.party !== undefined) for (const r of got) if (!r.t.endsWith(`/${e.party}`)) problem(`#${i} ${id}: went to ${r.t}, oracle expects ${e.party}`)
  }
  let dupReceipts = 0
  let aroundKill = 0
  let dupKeys = 0
  for (const [slot, rs] of byKey) {
    const id = slot.slice(slot.indexOf(' ') + 1)
    if (!s.ids.has(id)) problem(`sink: receipt ${rs[0]!.t} key ${id}: not a message answered 200 deliver/forward`)
    if (rs.length < 2) continue
    dupKeys++
    const first = rs[0]!.at!
    for (const r of rs.slice(1)) {
      dupReceipts++
      if (killWallTimes.some((k) => k >= first - 50 && k <= r.at! + 50)) aroundKill++
      else problem(`sink: ${id} received again ${r.at! - first} ms after the first copy with no SIGKILL in between`)
    }
  }
  if (noAnswer > 0) problem(`${noAnswer} messages without a final answer`)
  return {
    ok: problemCount === 0, sent: s.sent, answered200: s.ok200, answered422: ok422, noFinalAnswer: noAnswer, expectedAtSink: want, lost,
    receipts: receipts.length, duplicateReceipts: dupReceipts, duplicatesAroundKill: aroundKill, duplicateKeys: dupKeys, duplicateAnswers: dupAnswers,
    quarantineNotices, escalations, oracleMismatches: oracle, problems, problemCount,
  }
}

// ---- the run ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const load0 = loadavg().map((x) => round(x, 2)!)
  const traffic = await loadTraffic(CACHE, TRAFFIC, log)
  const laps = new Laps(traffic)
  const world = loadWorldModel(traffic.worldDir)
  const sink = await startSinkProcess()
  const run = writeGatewayRun(CACHE, traffic.worldDir, sink.url, world.tenant, {}, DEDUPE_WINDOW === undefined ? {} : { dedupe: { window: DEDUPE_WINDOW } })
  const t0 = performance.now()
  const gw = new Gateway(run.configFile, t0)
  await gw.start()
  log(`gateway ready (${gw.current.child.url}); traffic ${laps.n} documents, world ${traffic.worldDir.replace(`${ROOT}/`, '')}`)
  const sender = new Sender(laps, gw, 1 << 20)
  const samples: Sample[] = []
  let sampling = true
  const sampler = (async () => {
    while (sampling) {
      samples.push(await sample(gw, sender, run.dataDir, t0))
      await sleep(SAMPLE_EVERY_S * 1000)
    }
  })()

  let next = 0
  let peak: number | undefined
  if (FIXED_RATE === undefined) {
    await measurePeak(sender, next, 2).then((r) => (next = r.next)) // warm-up: JIT, connections
    const p = await measurePeak(sender, next, PEAK_SECONDS)
    next = p.next
    peak = p.rate
    log(`peak (closed loop, ${CONNECTIONS} connections, ${PEAK_SECONDS} s): ${peak.toFixed(0)} answers/s`)
  }
  const rate = FIXED_RATE ?? Math.round(peak! * SHARE)
  log(`open loop at ${rate}/s for ${MINUTES} min, SIGKILL every ${KILL_EVERY_S} s`)

  const soakStart = performance.now()
  const soakEnd = soakStart + MINUTES * 60_000
  const first = next
  let killing = true
  const killer = (async () => {
    for (let k = 1; killing; k++) {
      const at = soakStart + k * KILL_EVERY_S * 1000
      if (at >= soakEnd) break
      await sleep(at - performance.now())
      if (!killing) break
      await gw.kill()
      const kill = gw.kills.at(-1)!
      log(`kill ${gw.kills.length}: down ${kill.downMs!.toFixed(0)} ms, ready after ${kill.readyMs!.toFixed(0)} ms; ${sender.ok200} answered 200, ${sender.inFlight} in flight, RSS before ${samples.findLast((x) => x.rssMiB !== null)?.rssMiB} MiB, data ${samples.at(-1)?.dataDirMiB} MiB`)
    }
  })()
  for (let i = 0; ; i++) {
    const due = soakStart + (i * 1000) / rate
    if (due >= soakEnd) break
    const wait = due - performance.now()
    if (wait > 1) await sleep(wait)
    sender.offer(first + i, due)
  }
  killing = false
  await killer
  const offered = sender.sent - first
  log(`sending done: ${offered} offered in the open loop; settling ${sender.inFlight} in flight`)
  await sender.settle()
  const soakSeconds = (performance.now() - soakStart) / 1000
  const drainMs = await waitForDrain(gw.current.child.url, 600_000)
  await sleep(2000) // receipts of the last deliveries
  sampling = false
  await sampler
  samples.push(await sample(gw, sender, run.dataDir, t0))
  const receipts = await fetchReceipts(sink.url)
  const acc = account(sender, laps, receipts, gw.kills.map((k) => k.wallAt))
  await gw.stop()
  await sink.stop()
  if (gw.unexpectedExits.length > 0) {
    acc.ok = false
    acc.problems.push(...gw.unexpectedExits)
    acc.problemCount += gw.unexpectedExits.length
  }

  const lat = Array.from(sender.latencyMs.subarray(first, sender.sent)).filter((x, j) => sender.status[first + j] !== 0).sort((a, b) => a - b)
  const pct = (q: number) => round(lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] ?? NaN, 1)
  const warmupS = (soakStart - t0) / 1000 + Math.max(60, MINUTES * 6)
  const result = {
    date: new Date().toISOString(),
    command: `npm run soak -- ${argv.join(' ')}`.trim(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model.trim(), node: process.version, loadavgAtStart: load0, loadavgAtEnd: loadavg().map((x) => round(x, 2)!),
      load1: { median: round(median(samples.map((s) => s.load1)), 2), max: round(Math.max(...samples.map((s) => s.load1)), 2) } },
    traffic: { documents: laps.n, mpxns: TRAFFIC.mpxns, mix: traffic.mix },
    dedupeWindow: DEDUPE_WINDOW ?? '7d (default)',
    peak: peak === undefined ? null : round(peak, 0), share: FIXED_RATE === undefined ? SHARE : null, rate, minutes: MINUTES, killEverySeconds: KILL_EVERY_S,
    open: { offered, seconds: round(soakSeconds, 1), achievedPerSec: round(offered / soakSeconds, 0), p50ms: pct(0.5), p99ms: pct(0.99), p999ms: pct(0.999), maxMs: pct(1), retries: sender.retries, drainSeconds: round(drainMs / 1000, 1) },
    kills: { count: gw.kills.length, downMs: { median: round(median(gw.kills.map((k) => k.downMs!)), 0), max: round(Math.max(...gw.kills.map((k) => k.downMs!)), 0) },
      readyMs: { median: round(median(gw.kills.map((k) => k.readyMs!)), 0), max: round(Math.max(...gw.kills.map((k) => k.readyMs!)), 0) } },
    accounting: acc,
    warmupS: round(warmupS, 0),
    memory: memory(samples, warmupS),
    samples,
  }
  rmSync(run.dir, { recursive: true, force: true })
  mkdirSync(OUT, { recursive: true })
  writeFileSync(join(OUT, 'soak.json'), JSON.stringify(result, null, 1) + '\n')
  writeFileSync(join(OUT, 'soak.md'), markdown(result))
  log(`${acc.ok && result.memory.rssMiB.flat ? 'PASS' : 'FAIL'}: ${acc.lost} lost, ${acc.duplicateReceipts} duplicate receipts (${acc.duplicatesAroundKill} around a kill), ${gw.kills.length} kills, ` +
    `RSS slope ${result.memory.rssMiB.slopePerMin} MiB/min (${result.memory.rssMiB.growthPct}%), ${acc.problemCount} problems; ${join(OUT, 'soak.md')}`)
  for (const p of acc.problems.slice(0, 20)) log(`  ${p}`)
  process.exit(acc.ok && result.memory.rssMiB.flat ? 0 : 1)
}

/** The memory and disk section, from the samples (also rerun by --render on a saved soak.json). */
function memory(samples: Sample[], warmupS: number) {
  const perMessage = (sel: (s: Sample) => boolean) => {
    const pts = samples.filter((s) => s.rssMiB !== null && s.t >= warmupS && sel(s)).map((s) => [s.answered200, s.rssMiB! * 2 ** 20] as [number, number])
    return round(slope(pts), 0)
  }
  return {
    rule: `flat = least-squares slope of the samples taken >= ${STEADY_AFTER_RESTART_S} s after each restart and after ${warmupS.toFixed(0)} s of the run, times that period, under 10% of their median`,
    rssMiB: trend(samples, warmupS, (s) => s.rssMiB),
    load1SlopePerMin: round(slope(samples.filter((s) => s.t >= warmupS).map((s) => [s.t / 60, s.load1] as [number, number])), 3),
    journalBytes: trend(samples, warmupS, (s) => s.journalBytes),
    dataDirMiB: trend(samples, warmupS, (s) => s.dataDirMiB),
    /** RSS bytes per message answered 200 so far: steady samples, and samples in the first 5 s after a restart (the state rebuilt at start) */
    rssBytesPerMessage: { steady: perMessage((s) => (s.sinceReadyS ?? -1) >= STEADY_AFTER_RESTART_S), afterRestart: perMessage((s) => s.sinceReadyS !== null && s.sinceReadyS < 5 && s.incarnation > 1) },
    maxRssMiB: round(Math.max(...samples.map((s) => s.rssMiB ?? 0)), 1),
    maxJournalMiB: round(Math.max(...samples.map((s) => s.journalBytes ?? 0)) / 2 ** 20, 1),
    maxJournalSegments: Math.max(...samples.map((s) => s.journalSegments ?? 0)),
    endDataDirMiB: samples.at(-1)!.dataDirMiB,
    endFilesMiB: samples.at(-1)!.files,
    maxFilesMiB: Object.fromEntries([...new Set(samples.flatMap((s) => Object.keys(s.files)))].map((k) => [k, Math.max(...samples.map((s) => s.files[k] ?? 0))])),
  }
}

type Result = Record<string, any>

function markdown(r: Result): string {
  const a = r.accounting as SoakAccounting
  const m = r.memory
  const tr = (name: string, t: Trend, unit: string, verdict?: string) =>
    `| ${name} | ${t.samples} | ${t.median} ${unit} | ${t.slopePerMin} ${unit}/min | ${t.growthOverPeriod} ${unit} (${t.growthPct}%) | ${verdict ?? (t.flat ? 'yes' : '**no**')} |`
  return [
    '# Soak: open loop, SIGKILL every 30 s (bench/soak.ts)',
    '',
    `${r.date}; \`${r.command}\`; ${r.machine.cpus} × ${r.machine.model}, Node ${r.machine.node}. The machine was shared with other work: load average ${r.machine.loadavgAtStart.join(' ')} at the start,`,
    `${r.machine.loadavgAtEnd.join(' ')} at the end (1-minute: median ${r.machine.load1.median}, max ${r.machine.load1.max} over the samples).`,
    `Gateway: \`dist/\` with the benchmark's config (bench/replay-run.ts), dedupe.window ${r.dedupeWindow ?? '7d (default)'}.`,
    `Traffic: the replay's mix (bench/traffic.ts, ${r.traffic.documents.toLocaleString('en-GB')} documents over a ${r.traffic.mpxns.toLocaleString('en-GB')}-MPxN world) in laps, each lap with new IDs.`,
    '',
    `Result: **${a.ok && m.rssMiB.flat ? 'PASS' : 'FAIL'}**: ${a.lost} lost, ${a.duplicateReceipts} duplicate receipts (${a.duplicatesAroundKill} with a SIGKILL between the copies, same Idempotency-Key), ` +
      `${r.kills.count} SIGKILLs, memory ${m.rssMiB.flat ? 'flat' : '**not flat**'} (RSS ${m.rssMiB.slopePerMin} MiB/min), ${a.problemCount} problems.`,
    '',
    '| | |', '|---|---|',
    `| peak (closed loop, 64 connections, same run) | ${r.peak ?? 'n/a (--rate)'} answers/s |`,
    `| offered (open loop) | ${r.rate}/s${r.share ? ` (${r.share * 100}% of the peak)` : ''} for ${r.minutes} min: ${r.open.offered.toLocaleString('en-GB')} messages, ${r.open.achievedPerSec}/s achieved |`,
    `| latency, due to final answer (retries included) | p50 ${r.open.p50ms} ms, p99 ${r.open.p99ms} ms, p99.9 ${r.open.p999ms} ms, max ${r.open.maxMs} ms |`,
    `| sender retries (connection refused, 503) | ${r.open.retries.toLocaleString('en-GB')} |`,
    `| SIGKILLs | ${r.kills.count}; down (kill to listening) median ${r.kills.downMs.median} ms, max ${r.kills.downMs.max} ms; kill to /readyz 200 median ${r.kills.readyMs.median} ms, max ${r.kills.readyMs.max} ms |`,
    `| drain after the last answer | ${r.open.drainSeconds} s |`,
    '',
    '## Accounting', '',
    '| | count |', '|---|---:|',
    `| messages sent (peak phase included) | ${a.sent} |`,
    `| answered 200 / 422 / no final answer | ${a.answered200} / ${a.answered422} / ${a.noFinalAnswer} |`,
    `| answered 200 deliver, forward (must reach the sink) | ${a.expectedAtSink.delivered} / ${a.expectedAtSink.forwarded} |`,
    `| **lost** (answered 200, never at the sink) | **${a.lost}** |`,
    `| receipts at the sink | ${a.receipts} |`,
    `| duplicate receipts (keys) | ${a.duplicateReceipts} (${a.duplicateKeys}); with a SIGKILL between the copies: ${a.duplicatesAroundKill} |`,
    `| answers \`duplicate: true\` (a retry of something already durable) | ${a.duplicateAnswers} |`,
    `| outcomes differing from the oracle | ${a.oracleMismatches} |`,
    `| critical-quarantined notices, escalations | ${a.quarantineNotices}, ${a.escalations} |`,
    ...(a.problems.length > 0 ? ['', 'Problems (first 40):', '', ...a.problems.map((p) => `- ${p}`)] : []),
    '',
    '## Memory and disk', '',
    `Rule: ${m.rule}. Samples every ${SAMPLE_EVERY_S} s (RSS from /proc, \`dccgw_journal_bytes\` from /metrics, the data folder's apparent size).`, '',
    '| series | samples | median | slope | growth over the period | flat |', '|---|---:|---:|---:|---:|---|',
    tr('gateway RSS', m.rssMiB, 'MiB'),
    tr('journal (dccgw_journal_bytes)', m.journalBytes, 'B'),
    tr('data folder (journal + SQLite projection)', m.dataDirMiB, 'MiB', 'not judged: the audit rows are kept for store.auditRetentionDays'),
    '',
    `Max RSS ${m.maxRssMiB} MiB; max journal ${m.maxJournalMiB} MiB in at most ${m.maxJournalSegments} segments; data folder at the end ${m.endDataDirMiB} MiB.`,
    `Data folder by entry, MiB, at the end: ${Object.entries(m.endFilesMiB).map(([k, v]) => `${k} ${v}`).join(', ')}; largest seen: ${Object.entries(m.maxFilesMiB).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    ...(r.dedupeWindow !== undefined && !String(r.dedupeWindow).includes('default')
      ? [`dedupe.window ${r.dedupeWindow} makes the dedupe memory reach its bound within the run; with the default (7 days) it grows with every message`,
        'accepted (about 300 bytes each, bench/results/soak.before-dedupe-fix.md) until the window is full, then holds.']
      : []),
    `Steady-state RSS per incarnation (median, MiB): ${m.rssMiB.perIncarnationMedians.join(', ')}.`,
    ...(m.rssMiB.minimaSlopePerMin !== undefined
      ? [`Not judged, to read the slope: the lowest steady sample of each incarnation (after its heap's collections) grows ${m.rssMiB.minimaSlopePerMin} MiB/min; ` +
        `RSS against the machine's 1-minute load average: ${m.rssMiB.perLoadUnit} MiB per unit of load (the load's own slope: ${m.load1SlopePerMin} per minute).`]
      : []),
    `RSS against messages answered 200 so far (least squares): ${m.rssBytesPerMessage.steady} bytes per message in the steady samples, ${m.rssBytesPerMessage.afterRestart} bytes per message in the first 5 s after a restart (what a start rebuilds).`,
    '',
  ].join('\n')
}

const renderIdx = argv.indexOf('--render')
if (renderIdx >= 0) {
  // re-derives the memory section and the Markdown of a saved run: npx tsx bench/soak.ts --render bench/results/soak.json
  const file = argv[renderIdx + 1]!
  const r = JSON.parse(readFileSync(file, 'utf8')) as Result
  r.warmupS ??= Number(/after (\d+) s of the run/.exec(String(r.memory?.rule))?.[1]) // runs before warmupS was saved
  r.memory = memory(r.samples as Sample[], r.warmupS as number)
  writeFileSync(file, JSON.stringify(r, null, 1) + '\n')
  writeFileSync(file.replace(/\.json$/, '.md'), markdown(r))
} else await main()
