// Zero-loss accounting (docs/performance.md): sent = delivered + forwarded + dropped + quarantined +
// rejected, from three independent sources (the replayer's responses, the sink's receipts, the
// gateway's /metrics counters), each message checked against the oracle's expectation, every
// delivered body compared by sha256 with what was sent, and no Idempotency-Key twice at a target.
// Any difference is a named problem; a run with problems exits non-zero.
import type { Expected } from './traffic-oracle.js'
import type { ReplayResult } from './replay.js'
import type { Receipt } from './sink.js'
import { metricSum } from './replay-procs.js'

export const OUTCOMES = ['delivered', 'forwarded', 'dropped', 'quarantined', 'rejected'] as const
export type Outcome = (typeof OUTCOMES)[number]
export type Tally = Record<Outcome, number> & { total: number }

export interface Accounting {
  ok: boolean
  sent: number
  replayer: Tally
  /** quarantineNotices: notices to a tenant about its quarantined critical alerts; escalations: later-level notices (docs/obligations.md) */
  sink: Tally & { duplicates: number; unexpected: number; quarantineNotices: number; escalations: number }
  metrics: Tally & { received: number }
  oracle: Tally
  /** messages whose outcome differed from the oracle's, delivered bodies that differ, duplicates... */
  problems: string[]
  problemCount: number
}

const tally = (): Tally => ({ delivered: 0, forwarded: 0, dropped: 0, quarantined: 0, rejected: 0, total: 0 })

function outcomeOf(status: number, decision: string | undefined): Outcome | undefined {
  if (status === 422) return 'rejected'
  if (status !== 200) return undefined
  return decision === 'deliver' ? 'delivered' : decision === 'forward' ? 'forwarded' : decision === 'drop' ? 'dropped' : decision === 'quarantine' ? 'quarantined' : undefined
}

export interface AccountingInput {
  expected: readonly Expected[]
  hashes: readonly string[]
  replay: ReplayResult
  receipts: readonly Receipt[]
  metrics: Map<string, number>
  /** how many problems to name (all are counted) */
  maxNamed?: number
}

export function account(a: AccountingInput): Accounting {
  const max = a.maxNamed ?? 25
  const problems: string[] = []
  let problemCount = 0
  const problem = (s: string) => {
    if (problemCount++ < max) problems.push(s)
  }
  const n = a.expected.length
  const rp = tally()
  const or = tally()
  const byKey = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const e = a.expected[i]!
    const eo = outcomeOf(e.status, e.decision)!
    or[eo]++
    or.total++
    const o = outcomeOf(a.replay.status[i]!, a.replay.decision[i])
    if (o === undefined) {
      problem(`#${i}: no final answer from the gateway (status ${a.replay.status[i]})`)
      continue
    }
    rp[o]++
    rp.total++
    if (o !== eo || a.replay.reason[i] !== e.reason) problem(`#${i} ${a.replay.messageId[i] ?? ''}: got ${a.replay.decision[i]}/${a.replay.reason[i]}, oracle expects ${e.decision}/${e.reason}`)
    if (a.replay.duplicate[i]) problem(`#${i} ${a.replay.messageId[i]}: answered as a duplicate`)
    const id = a.replay.messageId[i]
    if (id !== undefined) {
      if (byKey.has(id)) problem(`#${i}: messageId ${id} is also message #${byKey.get(id)}`)
      byKey.set(id, i)
    }
  }
  for (const e of a.replay.errors) problem(`#${e.index}: ${e.error}`)
  if (rp.total !== n) problem(`replayer: ${n} sent, ${rp.total} answered with an outcome`)

  // The sink: adapter receipts are deliveries, notice receipts are forwards.
  const sk = { ...tally(), duplicates: 0, unexpected: 0, quarantineNotices: 0, escalations: 0 }
  const seen = new Set<string>()
  for (const r of a.receipts) {
    const kind = r.t.startsWith('/adapter/') ? 'delivered' : r.t.startsWith('/notice/') ? 'forwarded' : undefined
    const slot = `${kind} ${r.k}`
    if (seen.has(slot)) {
      sk.duplicates++
      problem(`sink: ${r.k} received twice at ${r.t}`)
      continue
    }
    seen.add(slot)
    // A quarantined critical alert's notice goes to the tenant itself, and an obligation
    // already past its deadline (alerts dated in the CoS month) escalates at once: key `<id>#<level>`.
    if (kind === 'forwarded' && r.n?.type === 'critical-quarantined') {
      const q = r.n.messageId === null ? undefined : byKey.get(r.n.messageId)
      if (q === undefined || a.expected[q]!.decision !== 'quarantine') problem(`sink: ${r.k}: a critical-quarantined notice for a message the oracle does not quarantine`)
      sk.quarantineNotices++
      continue
    }
    const level = kind === 'forwarded' ? /^(.*)#(secondary|escalation|fallback)$/.exec(r.k) : null
    if (level !== null) {
      const q = byKey.get(level[1]!)
      if (q === undefined || a.expected[q]!.decision !== 'forward') problem(`sink: ${r.k}: an escalation for a message the oracle does not forward`)
      sk.escalations++
      continue
    }
    const i = byKey.get(r.k)
    if (kind === undefined || i === undefined) {
      sk.unexpected++
      problem(`sink: unexpected receipt ${r.t} key ${r.k}`)
      continue
    }
    sk[kind]++
    sk.total++
    const e = a.expected[i]!
    const want = e.decision === 'deliver' ? 'delivered' : e.decision === 'forward' ? 'forwarded' : e.decision
    if (kind !== want) problem(`#${i} ${r.k}: at the sink as ${kind}, oracle expects ${e.decision}/${e.reason}`)
    const party = r.t.slice(r.t.lastIndexOf('/') + 1)
    if (e.party !== undefined && party !== e.party) problem(`#${i} ${r.k}: went to ${party}, oracle expects ${e.party}`)
    if (kind === 'delivered') {
      if (r.h !== a.hashes[i]) problem(`#${i} ${r.k}: delivered body differs from the bytes sent (sha256 ${r.h.slice(0, 12)} != ${a.hashes[i]!.slice(0, 12)})`)
      if (r.d !== e.decision || r.r !== e.reason) problem(`#${i} ${r.k}: delivery headers ${r.d}/${r.r}, oracle expects ${e.decision}/${e.reason}`)
    } else if (r.n) {
      if (r.n.messageId !== r.k) problem(`#${i} ${r.k}: notice names message ${r.n.messageId}`)
      if (r.n.toParty !== e.party) problem(`#${i} ${r.k}: notice toParty ${r.n.toParty}, oracle expects ${e.party}`)
      if (e.mpxns && !e.mpxns.includes(r.n.mpxn ?? '')) problem(`#${i} ${r.k}: notice MPxN is not one of the message's`)
    }
  }
  for (const [id, i] of byKey) {
    const o = outcomeOf(a.replay.status[i]!, a.replay.decision[i])
    if ((o === 'delivered' || o === 'forwarded') && !seen.has(`${o} ${id}`)) problem(`#${i} ${id}: ${o} by the gateway but never reached the sink`)
  }
  // What never reaches the sink is counted by the replayer; the sink's part is to hold none of it.
  sk.dropped = rp.dropped
  sk.quarantined = rp.quarantined
  sk.rejected = rp.rejected
  sk.total += rp.dropped + rp.quarantined + rp.rejected

  const m = a.metrics
  const mt = { ...tally(), received: metricSum(m, 'dccgw_messages_received_total') }
  mt.delivered = metricSum(m, 'dccgw_decisions_total', { decision: 'deliver' })
  mt.forwarded = metricSum(m, 'dccgw_decisions_total', { decision: 'forward' })
  mt.dropped = metricSum(m, 'dccgw_decisions_total', { decision: 'drop' })
  mt.rejected = metricSum(m, 'dccgw_decisions_total', { reason: 'malformed' })
  mt.quarantined = metricSum(m, 'dccgw_decisions_total', { decision: 'quarantine' }) - mt.rejected
  mt.total = OUTCOMES.reduce((s, o) => s + mt[o], 0)
  if (mt.received !== n) problem(`metrics: dccgw_messages_received_total is ${mt.received}, ${n} sent`)
  const ok422 = metricSum(m, 'dccgw_ingress_rejected_total', { status: '422' })
  if (ok422 !== mt.rejected) problem(`metrics: ${ok422} answered 422 but ${mt.rejected} decided malformed`)

  for (const o of OUTCOMES) {
    const v = { oracle: or[o], replayer: rp[o], sink: sk[o], metrics: mt[o] }
    if (new Set(Object.values(v)).size !== 1) problem(`${o}: ${Object.entries(v).map(([k, x]) => `${k} ${x}`).join(', ')}`)
  }
  for (const [src, t] of [['replayer', rp], ['sink', sk], ['metrics', mt]] as const) {
    if (t.total !== n) problem(`${src}: sent ${n} != ${OUTCOMES.map((o) => `${o} ${t[o]}`).join(' + ')}`)
  }
  return { ok: problemCount === 0, sent: n, replayer: rp, sink: sk, metrics: mt, oracle: or, problems, problemCount }
}
