import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { SpoolItem } from '../store/index.js'
import { OutboxSender } from './target-outbox.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function item(n: number): SpoolItem {
  return {
    id: n, messageId: `AA:BB:${n}@2025-01-01T00:00:00Z`, target: 'adapter', party: 'ACME', mpxn: '1000000000001', contentType: 'application/xml',
    body: Buffer.from(`<x n="${n}"/>`), headers: {}, attempts: 0, nextAttemptAt: 0, createdAt: 0, obligationId: null,
  }
}

describe('OutboxSender', () => {
  it('writes each delivery to its party folder, and makes the folder again if it was removed meanwhile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dccgw-outbox-'))
    dirs.push(dir)
    const s = new OutboxSender(dir)
    expect(await s.send(item(1))).toEqual({ outcome: 'ok' })
    expect(readFileSync(join(dir, 'ACME', 'AA_BB_1_2025-01-01T00_00_00Z.xml'), 'utf8')).toBe('<x n="1"/>')
    rmSync(join(dir, 'ACME'), { recursive: true }) // an operator cleared the outbox
    expect(await s.send(item(2))).toEqual({ outcome: 'ok' })
    expect(readFileSync(join(dir, 'ACME', 'AA_BB_2_2025-01-01T00_00_00Z.xml'), 'utf8')).toBe('<x n="2"/>')
    expect(JSON.parse(readFileSync(join(dir, 'ACME', 'AA_BB_2_2025-01-01T00_00_00Z.headers.json'), 'utf8'))).toMatchObject({ 'idempotency-key': item(2).messageId })
  })
})
