import { newId } from '../../ids/index.js'
import type { AcceptedRecord, CommitOutcome, MalformedRecord, ObligationDraft, ObligationRow, QuarantineRow } from '../types.js'
import { derivedUuid, messageKey } from './ids.js'
import { quarantineSubject } from '../types.js'
import { openDrafts } from './obligations.js'
import { decisionRecord, fromJson, outcomeOf, quarantineHeaders, spoolHeaders, toJson } from './records.js'
import type { DecisionRecord } from './records.js'
import type { Topology } from './topology.js'
import { withEvent } from './obligations.js'
import type { StoredObligation } from './obligations.js'

// Ingest in the clustered mode. The 200 may be sent when commitAccepted resolves (docs/http.md, "Ingress"):
//
//   1. decisions KV get(key)          a committed record -> duplicate, answer its ORIGINAL decision
//   2. the decision's effect, every publish with Nats-Msg-Id = messageId and awaited for its PubAck
//        deliver     -> <P>_SPOOL   (adapter)           the delivery itself
//        forward     -> obligation KV, <P>_ORIGINALS, <P>_SPOOL (notice)
//        quarantine  -> <P>_QUARANTINE (raw bytes)
//        drop        -> nothing: the payload is never written (README, "Privacy")
//   3. decisions KV create(key)       the metadata audit row; it marks the message as decided
//
// Every step is idempotent, so a crash anywhere before 3 costs nothing but the sender's retry:
// step 2's publishes are de-duplicated by JetStream (PubAck.duplicate), and the quarantine and
// obligation ids are derived from the messageId, not drawn at random. Two instances racing on the
// same message: JetStream stores the effect once, and `create` lets exactly one record win; the
// loser answers with the winner's decision and duplicate:true.

export async function commitAccepted(t: Topology, rec: AcceptedRecord): Promise<CommitOutcome> {
  const key = messageKey(rec.messageId)
  const seen = await readDecision(t, key)
  if (seen !== undefined) return outcomeOf(seen, true)

  const d = rec.decision
  const quarantineId = d.decision === 'quarantine' ? derivedUuid('quarantine', rec.messageId) : null
  const obligation = d.decision === 'forward' ? withDerivedId(rec) : undefined
  const repeated = await writeEffect(t, rec, quarantineId, obligation, rec.messageId)

  const record = decisionRecord(rec, quarantineId, obligation?.id ?? null)
  try {
    await t.decisions.create(key, toJson(record))
  } catch (err) {
    // Another instance (or an earlier attempt of this one) recorded it first: its decision stands.
    const winner = await readDecision(t, key)
    if (winner === undefined) throw err
    return outcomeOf(winner, true)
  }
  return outcomeOf(record, repeated)
}

/** A 422's raw bytes (docs/http.md, "Ingress"): one quarantine subject; the id is fresh, there is no messageId. */
export async function commitMalformed(t: Topology, rec: MalformedRecord): Promise<string> {
  const id = newId()
  const row: QuarantineRow = {
    id, messageId: null, receivedAt: rec.receivedAt, reason: 'malformed', detail: `${rec.code}: ${rec.detail}`, kind: 'invalid',
    party: null, mpxn: null, contentType: rec.contentType, size: rec.body.byteLength, releasedAt: null, releasedBy: null,
    critical: false, alertCode: null,
  }
  await t.js.publish(t.names.quarantineSubject(id), rec.body, { headers: quarantineHeaders(row), msgID: `malformed:${id}` })
  return id
}

export async function readDecision(t: Topology, key: string): Promise<DecisionRecord | undefined> {
  const e = await t.decisions.get(key)
  if (e === null || e.operation !== 'PUT' || e.value.byteLength === 0) return undefined
  return fromJson<DecisionRecord>(e.value)
}

/**
 * Writes what the decision needs besides its record; true when JetStream says it had it already.
 * `msgID` is the messageId at ingest, and a release-specific id when an operator releases.
 */
export async function writeEffect(
  t: Topology, rec: AcceptedRecord, quarantineId: string | null, o: ObligationDraft | undefined, msgID: string,
): Promise<boolean> {
  const d = rec.decision
  switch (d.decision) {
    case 'deliver': {
      const h = spoolHeaders({
        messageId: rec.messageId, target: 'adapter', party: d.deliverTo!, mpxn: d.mpxn ?? null,
        contentType: rec.contentType, headers: rec.headers, createdAt: rec.receivedAt, obligationId: null,
      })
      return (await t.js.publish(t.names.spoolSubject('adapter'), rec.body, { headers: h, msgID })).duplicate
    }
    case 'quarantine': {
      const row: QuarantineRow = {
        id: quarantineId!, messageId: rec.messageId, receivedAt: rec.receivedAt, reason: d.reason, detail: rec.detail ?? null,
        kind: rec.kind, party: rec.recipientParty ?? null, mpxn: d.mpxn ?? null, contentType: rec.contentType,
        size: rec.body.byteLength, releasedAt: null, releasedBy: null, critical: d.critical, alertCode: rec.alertCode ?? null,
      }
      const held = (await t.js.publish(t.names.quarantineSubject(quarantineId!), rec.body, { headers: quarantineHeaders(row), msgID })).duplicate
      // A quarantined critical alert opens its critical-quarantined obligation (derived id: once)
      if (rec.obligation !== undefined && d.critical) {
        const o = rec.obligation
        await openDrafts(t, [{ ...o, subject: quarantineSubject(quarantineId!), notice: { ...o.notice, quarantineId } }], rec.receivedAt, 'gateway', async () => undefined)
      }
      return held
    }
    case 'forward': {
      if (o === undefined) throw new Error(`forward decision for ${rec.messageId} has no obligation`)
      await putObligationOnce(t, obligationRow(rec, o))
      const original = t.js.publish(t.names.originalSubject(messageKey(rec.messageId)), rec.body, { msgID })
      const h = spoolHeaders({
        messageId: rec.messageId, target: 'notice', party: o.toParty, mpxn: o.mpxn ?? null,
        contentType: 'application/json', headers: rec.headers, createdAt: rec.receivedAt, obligationId: o.id,
      })
      const notice = t.js.publish(t.names.spoolSubject('notice'), toJson({ ...o.notice, text: o.text }), { headers: h, msgID })
      const [a, b] = await Promise.all([original, notice])
      return a.duplicate && b.duplicate
    }
    case 'drop':
      // Metadata-only audit row (step 3); the payload is never written anywhere.
      return false
  }
}

/** The obligation id pipeline.ts drew at random, replaced by one derived from the messageId. */
export function withDerivedId(rec: AcceptedRecord): ObligationDraft | undefined {
  const o = rec.obligation
  if (o === undefined) return undefined
  const id = derivedUuid('obligation', rec.messageId)
  return { ...o, id, notice: { ...o.notice, obligationId: id }, text: o.text.split(o.id).join(id) }
}

function obligationRow(rec: AcceptedRecord, o: ObligationDraft): StoredObligation {
  const row: ObligationRow = {
    id: o.id, type: o.type, status: 'open', messageId: rec.messageId, fromParty: o.fromParty ?? null, toParty: o.toParty,
    mpxn: o.mpxn ?? null, alertCode: o.alertCode ?? null, alertTime: o.alertTime ?? null, createdAt: rec.receivedAt,
    dueAt: o.dueAt, level: 0, notifiedAt: null, ackedAt: null, ackedBy: null, notice: o.notice, text: o.text,
  }
  return withEvent(row, rec.receivedAt, { status: 'open', level: 0, dueAt: o.dueAt, detail: rec.decision.reason }, 'gateway')
}

async function putObligationOnce(t: Topology, row: StoredObligation): Promise<void> {
  try {
    await t.obligations.create(row.id, toJson(row))
  } catch (err) {
    // written by an earlier attempt of the same message: keep it (it may be notified already)
    if ((await t.obligations.get(row.id)) === null) throw err
  }
}
