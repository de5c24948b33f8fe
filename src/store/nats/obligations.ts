import type { KvWatchEntry } from '@nats-io/kv'
import type { ObligationDraft, ObligationRow, ObligationTransition } from '../types.js'
import { DONE_STATUSES } from '../types.js'
import { derivedUuid } from './ids.js'
import { fromJson, spoolHeaders, toJson } from './records.js'
import type { Topology } from './topology.js'

// Obligations in clustered mode (docs/cluster.md). The obligations bucket is the state; every
// instance keeps a mirror of it (a KV watch) so the scheduler's synchronous "what is due?" reads
// memory, and every change is a compare-and-set on the entry's revision: when two instances
// escalate the same obligation, exactly one update wins and only the winner spools the notice
// (whose Nats-Msg-Id also de-duplicates it in the spool stream).

type Audit = (actor: string, action: string, target: string | null, detail: string | null) => Promise<void>

export class ObligationMirror {
  readonly #rows = new Map<string, ObligationRow>()
  #stop: (() => void) | undefined

  async start(t: Topology): Promise<void> {
    const w = await t.obligations.watch()
    this.#stop = () => w.stop()
    void (async () => {
      for await (const e of w as AsyncIterable<KvWatchEntry>) {
        if (e.operation === 'PUT' && e.value.byteLength > 0) this.#rows.set(e.key, fromJson<ObligationRow>(e.value))
        else this.#rows.delete(e.key)
      }
    })().catch(() => undefined)
  }

  stop(): void {
    this.#stop?.()
  }

  get(id: string): ObligationRow | undefined {
    return this.#rows.get(id)
  }

  /** Same rules as the SQLite queries.ts listObligations: by due time. */
  list(status: 'open' | 'overdue' | 'done' | 'all', now: number, limit = 1000): ObligationRow[] {
    const keep = (r: ObligationRow) =>
      status === 'all' ? true : status === 'done' ? DONE_STATUSES.includes(r.status) : !DONE_STATUSES.includes(r.status) && (status === 'open' || r.dueAt < now)
    return [...this.#rows.values()].filter(keep).sort((a, b) => a.dueAt - b.dueAt).slice(0, limit)
  }

  /** Same rule as the SQLite query: open, notified or escalated, past due, oldest first. */
  due(now: number, limit = 500): ObligationRow[] {
    const due: ObligationRow[] = []
    for (const r of this.#rows.values()) {
      if ((r.status === 'open' || r.status === 'notified' || r.status === 'escalated') && r.dueAt < now) due.push(r)
    }
    return due.sort((a, b) => a.dueAt - b.dueAt).slice(0, limit)
  }
}

/** Applies scheduler transitions by compare-and-set; returns the ids this instance changed. */
export async function applyTransitions(t: Topology, list: readonly ObligationTransition[], now: number, actor: string, audit: Audit): Promise<string[]> {
  const changed: string[] = []
  for (const tr of list) {
    const last = tr.events[tr.events.length - 1]
    if (last === undefined) continue
    const e = await t.obligations.get(tr.id)
    if (e === null || e.operation !== 'PUT') continue
    const row = fromJson<ObligationRow>(e.value)
    if (row.status !== tr.expect.status || row.level !== tr.expect.level) continue // changed meanwhile
    try {
      await t.obligations.update(tr.id, toJson({ ...row, status: last.status, level: last.level, dueAt: last.dueAt }), e.revision)
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
    const row: ObligationRow = {
      id, type: o.type, status: 'open', messageId: null, fromParty: o.fromParty ?? null, toParty: o.toParty, mpxn: o.mpxn ?? null,
      alertCode: o.alertCode ?? null, alertTime: o.alertTime ?? null, createdAt: now, dueAt: o.dueAt, level: 0,
      notifiedAt: null, ackedAt: null, ackedBy: null, notice: o.notice, text: o.text,
    }
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
