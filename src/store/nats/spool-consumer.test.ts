import type { Consumer, JsMsg } from '@nats-io/jetstream'
import { describe, expect, it } from 'vitest'
import { waitFor } from '../../../test/support/wait-for.js'
import { spoolHeaders } from './records.js'
import { SpoolConsumer } from './spool-consumer.js'

/** A fetched spool message as JetStream hands it over: its headers, and how often it was delivered. */
function fetched(messageId: string, target: 'adapter' | 'notice', party: string, deliveryCount: number): JsMsg {
  const h = spoolHeaders({ messageId, target, party, mpxn: `mpxn-${messageId}`, contentType: 'application/xml', headers: {}, createdAt: 1, obligationId: null })
  const noop = () => undefined
  return { headers: h, data: new Uint8Array(4), info: { deliveryCount }, nak: noop, term: noop, working: noop, ackAck: async () => true } as unknown as JsMsg
}

/** One batch, then fetches that end only when the consumer stops. */
function consumerOf(batch: JsMsg[]): { consumer: Consumer; end: () => void } {
  let first = true
  let end = () => undefined as void
  const consumer = {
    fetch: async () => {
      if (first) {
        first = false
        return (async function* () {
          yield* batch
        })()
      }
      await new Promise<void>((r) => (end = r))
      return (async function* () {})()
    },
  } as unknown as Consumer
  return { consumer, end: () => end() }
}

describe('the clustered spool consumer', () => {
  it('counts what it holds that was never attempted (a first attempt in flight included), per target and party', async () => {
    const { consumer, end } = consumerOf([
      fetched('a', 'adapter', 'ACME', 1),
      fetched('b', 'adapter', 'ACME', 1),
      fetched('c', 'adapter', 'ACME', 3), // redelivered: attempted before
      fetched('d', 'notice', 'BRITE', 1),
    ])
    const spool = new SpoolConsumer(consumer, 10, 30_000)
    spool.start()
    await waitFor('fetched', () => spool.held === 4)
    const fresh = () => Object.fromEntries(spool.fresh())
    expect(fresh()).toEqual({ 'adapter ACME': 2, 'notice BRITE': 1 })
    const [a] = spool.due(1)
    expect(a!.messageId).toBe('a')
    expect(fresh()).toEqual({ 'adapter ACME': 2, 'notice BRITE': 1 }) // leased, its first attempt not concluded
    spool.release(a!.id, 'nak', 100) // the attempt failed: JetStream redelivers it later, counted as attempted
    expect(fresh()).toEqual({ 'adapter ACME': 1, 'notice BRITE': 1 })
    const stopped = spool.stop()
    end() // the fetch waiting for more returns empty
    await stopped
  })
})
