import type { KvWatchEntry } from '@nats-io/kv'
import type { ObligationEventRow } from '../queries.js'
import type { ObligationDraft, ObligationEvent, ObligationListStatus, ObligationRow, ObligationStatus, ObligationTransition } from '../types.js'
import { DONE_STATUSES, PENDING_STATUSES } from '../types.js'
import { derivedUuid } from './ids.js'
import { fromJson, spoolHeaders, toJson } from './records.js'
import type { Topology } from './topology.js'

// Obligations in clustered mode (docs/cluster.md). The obligations bucket is the state; every
// instance keeps a mirror of it (a KV watch) so the scheduler's synchronous "what is due?" reads
// memory, and every change is a compare-and-set on the entry's revision: when two instances
// escalate the same obligation, exactly one update wins and only the winner spools the notice
// (whose Nats-Msg-Id also de-duplicates it in the spool stream).

type Audit = (actor: string, action: string, target: string | null, detail: string | null) => Promise<void>

/**
 * A bucket entry: the row plus its status history (the SQLite obligation_events rows), written in
 * the same compare-and-set as the state it describes, so the history is as durable as the state.
 */
export type StoredObligation = ObligationRow & { events?: ObligationEventRow[] }

/** The row with one more step in its history. */
export function withEvent(row: StoredObligation, at: number, e: ObligationEvent, actor: string): StoredObligation {
  const ev: ObligationEventRow = { at, status: e.status, level: e.level, dueAt: e.dueAt, actor, detail: e.detail ?? null }
  return { ...row, events: [...(row.events ?? []), ev] }
}

function rowOf(s: StoredObligation): ObligationRow {
  const { events: _events, ...row } = s
  return row
}

export class ObligationMirror {
  readonly #rows = new Map<string, StoredObligation>()
  #stop: (() => void) | undefined
  /** the bucket's stream sequence of the newest change applied here */
  #revision = 0
  #waiters = new Set<() => void>()

  async start(t: Topology): Promise<void> {
    const w = await t.obligations.watch()
    this.#stop = () => w.stop()
    void (async () => {
      for await (const e of w as AsyncIterable<KvWatchEntry>) {
        if (e.operation === 'PUT' && e.value.byteLength > 0) this.#rows.set(e.key, fromJson<StoredObligation>(e.value))
        else this.#rows.delete(e.key)
        this.#revision = Math.max(this.#revision, e.revision)
        for (const wake of this.#waiters) wake()
      }
    })().catch(() => undefined)
  }

  /**
   * Waits until this mirror has applied every change the bucket held when called (its stream's
   * last sequence), so a read that follows sees what another instance or a delivery wrote before
   * it. Gives up after `timeoutMs` (the caller then works from the mirror as it is: every write
   * is a compare-and-set, so a stale read costs a skipped step, never a wrong one).
   */
  async catchUp(t: Topology, timeoutMs = 5000): Promise<void> {
    const last = (await t.obligations.status()).streamInfo.state.last_seq
    if (this.#revision >= last) return
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.#waiters.delete(check)
        resolve()
      }
      const check = () => {
        if (this.#revision >= last) done()
      }
      const timer = setTimeout(done, timeoutMs)
      this.#waiters.add(check)
    })
  }

  stop(): void {
    this.#stop?.()
  }

  get(id: string): ObligationRow | undefined {
    const s = this.#rows.get(id)
    return s === undefined ? undefined : rowOf(s)
  }

  /** The status history, oldest first (entries written before the history was kept: none). */
  events(id: string): ObligationEventRow[] {
    return this.#rows.get(id)?.events ?? []
  }

  /** Same rules as the SQLite queries.ts listObligations: by due time. */
  list(status: ObligationListStatus, now: number, limit = 1000): ObligationRow[] {
    const keep = (r: ObligationRow) =>
      status === 'all' ? true : status === 'done' ? DONE_STATUSES.includes(r.status) : !DONE_STATUSES.includes(r.status) && (status === 'open' || r.dueAt < now)
    return [...this.#rows.values()].filter(keep).sort((a, b) => a.dueAt - b.dueAt).slice(0, limit).map(rowOf)
  }

  /** Same rule as the SQLite query: open, notified or escalated, past due, oldest first. */
  due(now: number, limit = 500): ObligationRow[] {
    const due: ObligationRow[] = []
    for (const r of this.#rows.values()) {
      if (pendingPastDue(r, now)) due.push(rowOf(r))
    }
    return due.sort((a, b) => a.dueAt - b.dueAt).slice(0, limit)
  }

  /** Same rule as the SQLite obligationCounts: per type and status, pending past due counted as overdue. */
  counts(now: number): { type: string; status: ObligationStatus; n: number }[] {
    const n = new Map<string, { type: string; status: ObligationStatus; n: number }>()
    for (const r of this.#rows.values()) {
      const status: ObligationStatus = pendingPastDue(r, now) ? 'overdue' : r.status
      const k = `${r.type} ${status}`
      const c = n.get(k) ?? { type: r.type, status, n: 0 }
      c.n++
      n.set(k, c)
    }
    return [...n.values()]
  }
}

function pendingPastDue(r: ObligationRow, now: number): boolean {
  return PENDING_STATUSES.includes(r.status) && r.dueAt < now
}

/** Applies scheduler transitions by compare-and-set; returns the ids this instance changed. */
export async function applyTransitions(t: Topology, list: readonly ObligationTransition[], now: number, actor: string, audit: Audit): Promise<string[]> {
  const changed: string[] = []
  for (const tr of list) {
    const last = tr.events[tr.events.length - 1]
    if (last === undefined) continue
    const e = await t.obligations.get(tr.id)
    if (e === null || e.operation !== 'PUT') continue
    const row = fromJson<StoredObligation>(e.value)
    if (row.status !== tr.expect.status || row.level !== tr.expect.level) continue // changed meanwhile
    const next = tr.events.reduce<StoredObligation>((r, ev) => withEvent(r, now, ev, actor), { ...row, status: last.status, level: last.level, dueAt: last.dueAt })
    try {
      await t.obligations.update(tr.id, toJson(next), e.revision)
    } catch {
      continue // another instance changed it first: its transition stands
    }
    if (tr.notice !== undefined) {
      const h = spoolHeaders({
        messageId: tr.notice.key, target: 'notice', party: tr.notice.toParty, mpxn: tr.notice.mpxn,
        contentType: 'application/json', headers: {}, createdAt: now, obligationId: tr.id,
      })
      await t.js.publish(t.names.spoolSubject('notice'), tr.notice.body, { headers: h, msgID: tr.notice.key })
    }
    for (const ev of tr.events) await audit(actor, `obligation.${ev.status}`, tr.id, JSON.stringify({ level: ev.level, dueAt: ev.dueAt }))
    changed.push(tr.id)
  }
  return changed
}

/**
 * Opens obligations that come from a registry reload (install-code, SECMP0121). Every instance
 * reloads the same files, so the id is derived from the draft's subject (or its id) and `create`
 * lets exactly one instance open it.
 */
export async function openDrafts(t: Topology, drafts: readonly ObligationDraft[], now: number, actor: string, audit: Audit): Promise<string[]> {
  const opened: string[] = []
  for (const draft of drafts) {
    const id = derivedUuid(draft.type, draft.subject ?? draft.id)
    const o = { ...draft, id, notice: { ...draft.notice, obligationId: id }, text: draft.text.split(draft.id).join(id) }
    const row = withEvent({
      id, type: o.type, status: 'open', messageId: null, fromParty: o.fromParty ?? null, toParty: o.toParty, mpxn: o.mpxn ?? null,
      alertCode: o.alertCode ?? null, alertTime: o.alertTime ?? null, createdAt: now, dueAt: o.dueAt, level: 0,
      notifiedAt: null, ackedAt: null, ackedBy: null, notice: o.notice, text: o.text,
    }, now, { status: 'open', level: 0, dueAt: o.dueAt, ...(o.subject !== undefined && { detail: o.subject }) }, actor)
    try {
      await t.obligations.create(id, toJson(row))
    } catch {
      continue // already open (another instance, or an earlier reload)
    }
    const key = `${o.type}:${id}`
    const h = spoolHeaders({
      messageId: key, target: 'notice', party: o.toParty, mpxn: o.mpxn ?? null,
      contentType: 'application/json', headers: {}, createdAt: now, obligationId: id,
    })
    await t.js.publish(t.names.spoolSubject('notice'), toJson({ ...o.notice, text: o.text }), { headers: h, msgID: key })
    await audit(actor, 'obligation.open', id, o.subject ?? null)
    opened.push(id)
  }
  return opened
}
