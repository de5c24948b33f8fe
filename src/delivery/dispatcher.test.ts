import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { GatewayMetrics } from '../metrics/index.js'
import type { SpoolItem } from '../store/index.js'
import { TestClock } from '../../test/support/clock.js'
import { waitFor } from '../../test/support/wait-for.js'
import { Dispatcher, type SpoolStore } from './dispatcher.js'
import type { AttemptResult, Sender } from './types.js'

function item(id: number, mpxn: string): SpoolItem {
  return {
    id, messageId: `m${id}`, target: 'adapter', party: 'ACME', mpxn, contentType: 'application/xml',
    body: Buffer.from('<x/>'), headers: {}, attempts: 0, nextAttemptAt: 0, createdAt: 0, obligationId: null,
  }
}

/** A spool in memory: the oldest item of each MPxN is due; it counts the scans the dispatcher makes. */
class CountingSpool implements SpoolStore {
  items: SpoolItem[] = []
  scans = 0
  done: number[] = []
  dueSpool(_now: number, limit: number): SpoolItem[] {
    this.scans++
    const seen = new Set<string | null>()
    return this.items.filter((i) => !seen.has(i.mpxn) && seen.add(i.mpxn)).slice(0, limit)
  }
  nextDueAt(): number | null {
    return this.items.length > 0 ? 0 : null
  }
  async completeDelivery(i: SpoolItem): Promise<void> {
    this.items = this.items.filter((x) => x.id !== i.id)
    this.done.push(i.id)
  }
  async scheduleRetry(): Promise<void> {}
  async rejectDelivery(): Promise<string> {
    return 'q'
  }
}

describe('Dispatcher', () => {
  it('answers the wakes of one turn of the event loop with one scan of the spool, and delivers each MPxN in order', async () => {
    const spool = new CountingSpool()
    const answers: (() => void)[] = []
    const sender: Sender = { label: 'adapter', send: () => new Promise<AttemptResult>((r) => answers.push(() => r({ outcome: 'ok' }))) }
    const clock = new TestClock()
    const d = new Dispatcher(spool, () => sender, { concurrency: 8, retryBaseMs: 100, retryMaxMs: 1000, pollIntervalMs: 60_000, breakerFailures: 5, breakerCooldownMs: 1000 },
      new GatewayMetrics({ processMetrics: false }), pino({ level: 'silent' }), clock)
    d.start()
    await new Promise(setImmediate)
    expect(spool.scans).toBe(1)
    for (let k = 1; k <= 20; k++) {
      spool.items.push(item(k, `M${k % 4}`))
      d.wake() // as ingest does for each accepted message
    }
    await new Promise(setImmediate)
    expect(spool.scans).toBe(2)
    expect(answers).toHaveLength(4) // one in flight per MPxN
    // the adapter answers whatever is in flight until all 20 are done
    await waitFor('all delivered', () => {
      for (const answer of answers.splice(0)) answer()
      return spool.done.length === 20
    })
    await d.stop()
    expect(spool.done.filter((id) => id % 4 === 1)).toEqual([1, 5, 9, 13, 17])
    expect(spool.done).toHaveLength(20)
  })
})
