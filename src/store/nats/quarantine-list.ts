import type { QuarantineFilter } from '../queries.js'
import type { QuarantineRow } from '../types.js'
import { readQuarantineRow } from './records.js'
import type { Topology } from './topology.js'

/** Sequences read per page at most, so a narrow filter over a long stream still answers quickly. */
const SCAN_LIMIT = 10_000

/**
 * The quarantine list in clustered mode (GET /admin/quarantine): the quarantine stream read
 * newest first by sequence, metadata from each message's header (never the bytes). The cursor is
 * the stream sequence to continue below; a page that stops at SCAN_LIMIT returns a cursor too.
 */
export async function listQuarantineStream(t: Topology, f: QuarantineFilter): Promise<{ items: QuarantineRow[]; nextCursor: string | null }> {
  const info = await t.jsm.streams.info(t.names.quarantineStream)
  const first = info.state.first_seq
  let seq = f.cursor !== undefined ? decodeCursor(f.cursor) - 1 : info.state.last_seq
  const items: QuarantineRow[] = []
  let scanned = 0
  for (; seq >= first && items.length < f.limit && scanned < SCAN_LIMIT; seq--, scanned++) {
    const m = await t.jsm.streams.getMessage(t.names.quarantineStream, { seq }).catch(() => null)
    const row = m === null ? undefined : readQuarantineRow(m.header)
    if (row === undefined) continue // deleted or purged
    if (f.reason !== undefined && row.reason !== f.reason) continue
    if (f.mpxn !== undefined && row.mpxn !== f.mpxn) continue
    if (f.since !== undefined && row.receivedAt < f.since) continue
    if (f.critical !== undefined && (row.critical ?? false) !== f.critical) continue
    if (f.alertCode !== undefined && (row.alertCode ?? '').toUpperCase() !== f.alertCode.toUpperCase()) continue
    items.push(row)
  }
  return { items, nextCursor: seq >= first ? Buffer.from(`seq:${seq + 1}`).toString('base64url') : null }
}

function decodeCursor(c: string): number {
  const m = /^seq:(\d+)$/.exec(Buffer.from(c, 'base64url').toString('utf8'))
  if (m === null) throw Object.assign(new Error('cursor is not one this gateway issued'), { code: 'DCCGW_ERR_BAD_REQUEST' })
  return Number(m[1])
}
