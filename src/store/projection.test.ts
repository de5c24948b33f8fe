// The projection's apply code (projection.ts), shared by the worker thread and recovery at open:
// one transaction per batch with the position, and each record applied once.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { encodeFact, withoutBody } from './journal-record.js'
import { Projection } from './projection.js'
import type { ProjectionRecord } from './projection.js'
import { SqliteStore } from './sqlite-store.js'
import type { AcceptedRecord } from './types.js'

let dir: string
let store: SqliteStore
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dccgw-proj-'))
  store = new SqliteStore({ path: dir, commitIntervalMs: 0, commitBatch: 64, synchronous: 'NORMAL' })
})
afterEach(async () => {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

const rec: AcceptedRecord = {
  messageId: 'proj-1', receivedAt: 1_700_000_000_000, kind: 'device_alert', responseTime: 1_700_000_000_000, alertCode: '8F3D', recipientParty: 'ACME',
  decision: { decision: 'deliver', reason: 'responsible', deliverTo: 'ACME', critical: false, mpxn: '1000000000001' }, contentType: 'application/xml',
  body: Buffer.from('<Response>payload</Response>'), headers: {},
}
/** the decision (seq 1) and the target's 4xx for it (seq 2) */
const batch: ProjectionRecord[] = [
  { seq: 1, bytes: encodeFact({ t: 'accepted', rec: withoutBody(rec), quarantineId: null, obligationId: null }, rec.body) },
  {
    seq: 2,
    bytes: encodeFact({
      t: 'rejected', ref: { seq: 1, row: null }, quarantineId: 'q-1', detail: '400', at: rec.receivedAt + 1, messageId: rec.messageId, party: 'ACME',
      mpxn: '1000000000001', contentType: 'application/xml',
    }, rec.body),
  },
]
const count = (table: string) => store.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number

describe('projection', () => {
  it('applies a batch with its position, and a batch sent again (its answer lost with a worker that died) changes nothing', () => {
    const p = new Projection(store, 'NORMAL')
    expect(p.apply(batch.slice(0, 1), false)).toEqual({ last: 1, rows: [1, 1], refused: [], side: [] }) // seq 1 wrote spool row 1
    expect(p.apply(batch, false)).toMatchObject({ last: 2, rows: [] })
    expect([count('messages'), count('spool'), count('quarantine')]).toEqual([1, 0, 1]) // the 4xx took its row
    expect(store.db.prepare('SELECT seq FROM journal_position').pluck().get()).toBe(2)
    // the same batch again, here and in a new worker (which reads the position): skipped, not a second quarantine row
    expect(p.apply(batch, false)).toEqual({ last: 2, rows: [], refused: [], side: [] })
    expect(new Projection(store, 'NORMAL').apply(batch, true)).toEqual({ last: 2, rows: [], refused: [], side: [] })
    expect([count('messages'), count('spool'), count('quarantine')]).toEqual([1, 0, 1])
  })
})
