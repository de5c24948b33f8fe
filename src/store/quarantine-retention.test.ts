// Size and age retention never purge a critical alert whose critical-quarantined
// obligation is still open; deleting one needs a reason, which closes the obligation.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { getObligation, listQuarantine } from './queries.js'
import { SqliteStore } from './sqlite-store.js'
import type { AcceptedRecord, ObligationDraft } from './types.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function open(): SqliteStore {
  const dir = mkdtempSync(join(tmpdir(), 'dccgw-retention-'))
  dirs.push(dir)
  return new SqliteStore({ path: dir, commitIntervalMs: 0, commitBatch: 16, synchronous: 'NORMAL' })
}

function quarantined(messageId: string, critical: boolean, at: number): AcceptedRecord {
  const obligation: ObligationDraft | undefined = critical
    ? { id: `o-${messageId}`, type: 'critical-quarantined', toParty: 'ACME', dueAt: at + 86_400_000, notice: { quarantineReason: 'unknown-device' }, text: 'notice' }
    : undefined
  return {
    messageId, receivedAt: at, kind: 'device_alert', responseTime: at, contentType: 'application/xml', body: Buffer.alloc(1000, 1), headers: {},
    decision: { decision: 'quarantine', reason: 'unknown-device', critical }, ...(obligation !== undefined && { obligation }),
  }
}

describe('quarantine retention and critical alerts', () => {
  it('purges by age and by size around a critical alert with an open obligation, and after it is closed', async () => {
    const store = open()
    try {
      await store.commitAccepted(quarantined('critical', true, 1_000))
      await store.commitAccepted(quarantined('plain-old', false, 2_000))
      await store.commitAccepted(quarantined('plain-new', false, 3_000))
      expect(await store.purgeQuarantineOverSize(1, 'test')).toBe(2) // both plain ones; the critical one is held
      await store.commitAccepted(quarantined('plain-again', false, 4_000))
      expect(await store.purgeQuarantine(10_000, 'test')).toBe(1)
      const left = listQuarantine(store.db, { limit: 10 }).items
      expect(left.map((q) => q.messageId)).toEqual(['critical'])

      await expect(store.deleteQuarantined(left[0]!.id, 'test')).rejects.toMatchObject({ code: 'DCCGW_ERR_REASON_REQUIRED' })
      expect(await store.deleteQuarantined(left[0]!.id, 'test', 'duplicate of another alert')).toBe(true)
      expect(getObligation(store.db, 'o-critical')).toMatchObject({ status: 'closed', ackedBy: 'test' })
    } finally {
      await store.close()
    }
  })

  it('an acknowledged obligation no longer holds its message', async () => {
    const store = open()
    try {
      await store.commitAccepted(quarantined('critical', true, 1_000))
      expect(await store.purgeQuarantine(10_000, 'test')).toBe(0)
      expect(await store.acknowledgeObligation('o-critical', 'ops', 5_000)).toBe('ok')
      expect(await store.purgeQuarantine(10_000, 'test')).toBe(1)
    } finally {
      await store.close()
    }
  })
})
