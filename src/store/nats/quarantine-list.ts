import type { QuarantineFilter } from '../queries.js'
import { badRequest } from '../store-error.js'
import type { QuarantineRow } from '../types.js'
import { readQuarantineRow } from './records.js'
import { scanStream, streamRange } from './stream-scan.js'
import type { Topology } from './topology.js'

/**
 * The quarantine list in clustered mode (GET /admin/quarantine): the quarantine stream read
 * newest first by sequence, metadata from each message's header (never the bytes). The cursor is
 * the stream sequence to continue below; a page that stops at SCAN_LIMIT returns a cursor too.
 */
export async function listQuarantineStream(t: Topology, f: QuarantineFilter): Promise<{ items: QuarantineRow[]; nextCursor: string | null }> {
  const { first, last } = await streamRange(t, t.names.quarantineStream)
  const from = f.cursor !== undefined ? decodeCursor(f.cursor) - 1 : last
  const items: QuarantineRow[] = []
  const { next } = await scanStream(t, t.names.quarantineStream, from, first, -1, (m) => {
    const row = readQuarantineRow(m.header)
    if (row === undefined) return true
    if (f.reason !== undefined && row.reason !== f.reason) return true
    if (f.mpxn !== undefined && row.mpxn !== f.mpxn) return true
    if (f.since !== undefined && row.receivedAt < f.since) return true
    if (f.critical !== undefined && (row.critical ?? false) !== f.critical) return true
    if (f.alertCode !== undefined && (row.alertCode ?? '').toUpperCase() !== f.alertCode.toUpperCase()) return true
    items.push(row)
    return items.length < f.limit
  })
  return { items, nextCursor: next !== undefined && next >= first ? Buffer.from(`seq:${next + 1}`).toString('base64url') : null }
}

function decodeCursor(c: string): number {
  const m = /^seq:(\d+)$/.exec(Buffer.from(c, 'base64url').toString('utf8'))
  if (m === null) throw badRequest('cursor is not one this gateway issued')
  return Number(m[1])
}
