// In CI: the quick benchmark (`npm run bench -- --quick`: 20,000 documents over a
// 100k-MPxN world) replayed through the real gateway (dist/, child process) and the pass-through
// baseline, with the three-way zero-loss accounting. Fails on any accounting difference, never on
// speed. The second block shows the accounting can fail: each kind of loss is named.
import { describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { handOnProblems, runBenchmark } from '../bench/replay-run.js'
import { loadTraffic } from '../bench/traffic.js'
import { benchOptions } from '../bench/replay.bench.js'
import { account, type AccountingInput } from '../bench/report-accounting.js'
import { cpuBudget } from '../bench/report.js'
import type { RoundStats } from '../bench/replay-run.js'
import type { ReplayResult } from '../bench/replay.js'
import type { Receipt } from '../bench/sink.js'
import type { Expected } from '../bench/traffic-oracle.js'

describe('bench --quick', () => {
  it('replays 20k documents with 0 lost, 0 duplicated and every outcome as the oracle expects', { timeout: 240_000 }, async () => {
    const { out: _out, ...o } = benchOptions(['--quick'])
    const r = await runBenchmark(o)
    const gw = r.rounds.find((x) => x.target === 'gateway')!
    const base = r.rounds.find((x) => x.target === 'baseline')!
    const acc = gw.accounting!
    expect(acc.problems).toEqual([])
    expect(acc.ok).toBe(true)
    expect(acc.sent).toBe(20_000)
    for (const src of [acc.replayer, acc.sink, acc.metrics]) expect(src).toMatchObject({ ...acc.oracle })
    expect(acc.sink.duplicates).toBe(0)
    // the mix exercises every path: deliver, forward, drop, quarantine, 422
    for (const o of ['delivered', 'forwarded', 'dropped', 'quarantined', 'rejected'] as const) expect(acc.oracle[o]).toBeGreaterThan(0)
    expect(base.baselineProblems).toEqual([])
    expect(r.ok).toBe(true)
  })
})

describe('zero-loss accounting', () => {
  // Three messages: one delivered, one forwarded (notice to SUP05), one dropped.
  const expected: Expected[] = [
    { status: 200, decision: 'deliver', reason: 'responsible', party: 'SUP00' },
    { status: 200, decision: 'forward', reason: 'stale-cos-critical', party: 'SUP05', mpxns: ['1200012345679'] },
    { status: 200, decision: 'drop', reason: 'stale-cos-consumption' },
  ]
  const hashes = ['a1', 'b2', 'c3']
  function input(): AccountingInput {
    const replay: ReplayResult = {
      url: 'http://x/duis', concurrency: 1, sent: 3, elapsedMs: 1, status: Int16Array.from([200, 200, 200]),
      decision: ['deliver', 'forward', 'drop'], reason: ['responsible', 'stale-cos-critical', 'stale-cos-consumption'],
      messageId: ['m0', 'm1', 'm2'], duplicate: new Uint8Array(3), latencyMs: new Float64Array(3), retries: 0, errors: [], timeline: [3], bucketMs: 250,
    }
    const receipts: Receipt[] = [
      { t: '/adapter/SUP00', k: 'm0', h: 'a1', d: 'deliver', r: 'responsible' },
      { t: '/notice/SUP05', k: 'm1', h: 'zz', n: { mpxn: '1200012345679', alertCode: '8F35', toParty: 'SUP05', fromParty: 'SUP00', messageId: 'm1' } },
    ]
    const metrics = new Map<string, number>([
      ['dccgw_messages_received_total{kind="device_alert"}', 3],
      ['dccgw_decisions_total{decision="deliver",reason="responsible"}', 1],
      ['dccgw_decisions_total{decision="forward",reason="stale-cos-critical"}', 1],
      ['dccgw_decisions_total{decision="drop",reason="stale-cos-consumption"}', 1],
    ])
    return { expected, hashes, replay, receipts, metrics }
  }

  it('balances when the three sources agree with the oracle', () => {
    const a = account(input())
    expect(a.problems).toEqual([])
    expect(a.replayer).toEqual({ delivered: 1, forwarded: 1, dropped: 1, quarantined: 0, rejected: 0, total: 3 })
  })

  it('names a delivery that never reached the sink', () => {
    const i = input()
    i.receipts = i.receipts.slice(1)
    const a = account(i)
    expect(a.ok).toBe(false)
    expect(a.problems.join('\n')).toContain('#0 m0: delivered by the gateway but never reached the sink')
  })

  it('names a duplicate at the sink and a body that differs from the bytes sent', () => {
    const i = input()
    i.receipts = [{ ...i.receipts[0]!, h: 'tampered' }, ...i.receipts, i.receipts[0]!]
    const text = account(i).problems.join('\n')
    expect(text).toContain('#0 m0: delivered body differs from the bytes sent')
    expect(text).toContain('sink: m0 received twice at /adapter/SUP00')
  })

  it('names an outcome the oracle did not expect and a metrics counter that disagrees', () => {
    const i = input()
    i.replay.decision[2] = 'quarantine'
    i.replay.reason[2] = 'unknown-device'
    i.metrics.set('dccgw_decisions_total{decision="drop",reason="stale-cos-consumption"}', 0)
    const text = account(i).problems.join('\n')
    expect(text).toContain('#2 m2: got quarantine/unknown-device, oracle expects drop/stale-cos-consumption')
    expect(text).toMatch(/dropped: oracle 1, replayer 0, sink 0, metrics 0/)
  })

  it('names a notice sent to the wrong acquiring supplier', () => {
    const i = input()
    const notice = i.receipts[1]!
    i.receipts = [i.receipts[0]!, { ...notice, t: '/notice/SUP07', n: { ...notice.n!, toParty: 'SUP07' } }]
    const text = account(i).problems.join('\n')
    expect(text).toContain('#1 m1: went to SUP07, oracle expects SUP05')
  })
})

describe("the baseline's and the durable floor's hand-on check", () => {
  // Four documents; the floor posts the first and the third (the oracle's deliveries and forwards).
  const t = { bodies: [0, 1, 2, 3].map((i) => Buffer.from(`d${i}`)), hashes: ['h0', 'h1', 'h2', 'h3'] }
  const replay = (status: number[]): ReplayResult => ({
    url: 'http://x/duis', concurrency: 1, sent: 4, elapsedMs: 1, status: Int16Array.from(status), decision: [], reason: [], messageId: [],
    duplicate: new Uint8Array(4), latencyMs: new Float64Array(4), retries: 0, errors: [], timeline: [4], bucketMs: 250,
  })
  const key = (i: number) => `floor-${i}`
  const posted = (i: number) => i % 2 === 0

  it('passes when every document was answered 200 and each posted one reached the sink once, unaltered', () => {
    expect(handOnProblems(t, replay([200, 200, 200, 200]), [{ k: 'floor-0', h: 'h0' }, { k: 'floor-2', h: 'h2' }], key, posted)).toEqual([])
  })

  it('names a refusal, a lost or altered post, a repeat and a post nobody expected', () => {
    expect(handOnProblems(t, replay([200, 503, 200, 200]), [{ k: 'floor-0', h: 'h0' }, { k: 'floor-2', h: 'h2' }], key, posted)).toEqual(['#1: HTTP 503, expected 200'])
    expect(handOnProblems(t, replay([200, 200, 200, 200]), [{ k: 'floor-0', h: 'h0' }], key, posted)).toEqual(['#2: missing or altered at the sink'])
    expect(handOnProblems(t, replay([200, 200, 200, 200]), [{ k: 'floor-0', h: 'h0' }, { k: 'floor-2', h: 'xx' }], key, posted)).toEqual(['#2: missing or altered at the sink'])
    expect(handOnProblems(t, replay([200, 200, 200, 200]), [{ k: 'floor-0', h: 'h0' }, { k: 'floor-0', h: 'h0' }, { k: 'floor-2', h: 'h2' }], key, posted)).toEqual(['#floor-0 twice at the sink'])
    expect(handOnProblems(t, replay([200, 200, 200, 200]), [{ k: 'floor-0', h: 'h0' }, { k: 'floor-1', h: 'h1' }, { k: 'floor-2', h: 'h2' }], key, posted)).toEqual(['3 documents at the sink, 2 expected'])
  })

  it("holds the contract floor to the gateway's answers: a 422 where the oracle has one, 200 elsewhere", () => {
    const oracle = (i: number) => (i === 1 ? 422 : 200)
    expect(handOnProblems(t, replay([200, 422, 200, 200]), [{ k: 'floor-0', h: 'h0' }, { k: 'floor-2', h: 'h2' }], key, posted, oracle)).toEqual([])
    expect(handOnProblems(t, replay([200, 200, 200, 200]), [{ k: 'floor-0', h: 'h0' }, { k: 'floor-2', h: 'h2' }], key, posted, oracle)).toEqual(['#1: HTTP 200, expected 422'])
    expect(handOnProblems(t, replay([200, 422, 200, 200]), [{ k: 'floor-0', h: 'h0' }, { k: 'floor-2', h: 'h2' }], key, posted)).toEqual(['#1: HTTP 422, expected 200'])
  })
})

describe('the traffic cache', () => {
  it('finds its world in the cache it is read from, whatever folder the traffic was made in', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'dccgw-traffic-'))
    try {
      const p = { messages: 50, mpxns: 5_000, seed: 1, cosRate: 0.18, no623Share: 0.1 }
      const first = await loadTraffic(cache, p)
      expect(first.worldDir).toBe(join(cache, 'world-5000-s1-c0.18'))
      // made by a checkout that is gone (a removed worktree whose bench/.cache linked to this one)
      const meta = `${first.file}.meta.json`
      writeFileSync(meta, JSON.stringify({ ...JSON.parse(readFileSync(meta, 'utf8')), worldDir: '/gone/bench/.cache/world-5000-s1-c0.18' }))
      const again = await loadTraffic(cache, p)
      expect(again.worldDir).toBe(first.worldDir)
      expect(again.bodies).toHaveLength(50)
    } finally {
      rmSync(cache, { recursive: true, force: true })
    }
  })
})

describe('the CPU budget of a target', () => {
  const round = (n: number, cpuSeconds: number, load: { replayer: number; sink: number } | undefined): RoundStats => ({
    target: 'gateway', round: n, throughput: 1000, replayMs: 800, drainMs: 200, p50: 1, p95: 2, p99: 3, max: 4,
    cpuSeconds, cpuPercent: cpuSeconds * 100, mainCpuSeconds: cpuSeconds / 2, loadCpuPercent: load, peakRssMiB: 1, retries: 0, timeline: [], bucketMs: 1000,
  })

  it('charges the server, its main thread and the load per message and gives the rates the cores and the main thread could carry at that cost', () => {
    // 1,000 messages over 1 s of replay + drain: 0.3 s of server CPU is 300 µs a message, 15% of a core for the load 150 µs
    const c = cpuBudget([round(1, 0.3, { replayer: 10, sink: 5 })], 'gateway', 1000, 2)!
    expect(c.serverMicros).toBeCloseTo(300)
    expect(c.loadMicros).toBeCloseTo(150)
    expect(c.busyPercent).toBeCloseTo(22.5)
    expect(c.coresCeiling).toBeCloseTo(2e6 / 450)
    // half of the server's CPU on the main thread: 150 µs a message, at most 6,667 msg/s
    expect(c.mainMicros).toBeCloseTo(150)
    expect(c.mainCeiling).toBeCloseTo(1e6 / 150)
  })

  it('takes the median over the rounds and ignores rounds without the load measured', () => {
    const rs = [round(1, 0.2, { replayer: 10, sink: 0 }), round(2, 0.4, { replayer: 10, sink: 0 }), round(3, 0.9, { replayer: 10, sink: 0 }), round(4, 5, undefined)]
    expect(cpuBudget(rs, 'gateway', 1000, 2)!.serverMicros).toBeCloseTo(400)
    expect(cpuBudget(rs, 'floor', 1000, 2)).toBeUndefined()
  })
})
