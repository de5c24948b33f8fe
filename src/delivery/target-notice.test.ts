import { describe, expect, it } from 'vitest'
import type { SpoolItem } from '../store/index.js'
import { noticeJson, withAckLink } from './target-notice.js'

function notice(body: object): SpoolItem {
  return {
    id: 1, messageId: 'forward:o1', target: 'notice', party: 'BRITE', mpxn: '1200012345679', contentType: 'application/json',
    body: Buffer.from(JSON.stringify(body)), headers: {}, attempts: 0, nextAttemptAt: 0, createdAt: 0, obligationId: 'o1',
  }
}

describe('notice JSON', () => {
  it('adds the signed link once; what the senders read of the linked notice is what its bytes say', () => {
    const item = notice({ level: 1, text: 'Critical alert 8F35.\n', acknowledgeBy: '2025-03-17T17:00:00.000Z' })
    const links: [string, number][] = []
    const linked = withAckLink(item, (id, dueAt) => (links.push([id, dueAt]), `https://gw.example/ack/${id}?sig=x`))
    expect(links).toEqual([['o1', Date.parse('2025-03-17T17:00:00.000Z')]])
    const bytes = JSON.parse(linked.body.toString('utf8')) as Record<string, unknown>
    expect(bytes).toEqual({ level: 1, acknowledgeBy: '2025-03-17T17:00:00.000Z', ackUrl: 'https://gw.example/ack/o1?sig=x', text: 'Critical alert 8F35.\nAcknowledge here: https://gw.example/ack/o1?sig=x\n' })
    expect(noticeJson(linked.body)).toEqual(bytes)
    expect(noticeJson(item.body)).toEqual({ level: 1, text: 'Critical alert 8F35.\n', acknowledgeBy: '2025-03-17T17:00:00.000Z' }) // the original is unchanged
    expect(withAckLink(linked, () => 'again')).toBe(linked) // a notice with a link keeps it
    expect(withAckLink({ ...item, obligationId: null }, () => 'none')).toEqual({ ...item, obligationId: null })
  })

  it('parses each body once, and a body of another notice on its own', () => {
    const a = notice({ level: 0, text: 'a' })
    const b = notice({ level: 2, text: 'b' })
    expect(noticeJson(a.body)).toBe(noticeJson(a.body))
    expect(noticeJson(b.body).level).toBe(2)
    expect(noticeJson(Buffer.from(a.body)).text).toBe('a') // the same bytes in another buffer
  })
})
