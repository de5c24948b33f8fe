import { join } from 'node:path'
import type { SpoolItem } from '../store/index.js'
import { OutboxWriter } from './outbox-writer.js'
import { noticeJson } from './target-notice.js'
import type { AttemptResult, Sender } from './types.js'

/**
 * Writes deliveries to files when a party has no adapter URL (the embedded demo, or an operator
 * who collects by file): `<outbox>/<party>/<message>.xml` with a `.headers.json` beside it, and
 * notices as `<outbox>/notices/<party>/<obligation>.json` + `.txt`. Each file is written to a
 * temporary name, fsynced and renamed, so a reader never sees half a file; the `.xml` and `.json`
 * are renamed last, and a send is ok only once the files and their names are durable (the writes
 * run on a worker thread: OutboxWriter).
 */
export class OutboxSender implements Sender {
  readonly label = 'outbox'
  #dir: string
  readonly #writer = new OutboxWriter()

  constructor(dir: string) {
    this.#dir = dir
  }

  async send(item: SpoolItem): Promise<AttemptResult> {
    try {
      if (item.target === 'notice') {
        const name = safeName(item.obligationId ?? item.messageId)
        const notice = noticeJson(item.body)
        await this.#writer.write({
          folder: join(this.#dir, 'notices', safeName(item.party)),
          files: [{ name: `${name}.txt`, data: Buffer.from(notice.text ?? '') }, { name: `${name}.json`, data: item.body }],
        })
      } else {
        const name = safeName(item.messageId)
        const headers = { ...item.headers, 'content-type': item.contentType, 'idempotency-key': item.messageId }
        await this.#writer.write({
          folder: join(this.#dir, safeName(item.party)),
          files: [{ name: `${name}.headers.json`, data: Buffer.from(JSON.stringify(headers, null, 2)) }, { name: `${name}.xml`, data: item.body }],
        })
      }
      return { outcome: 'ok' }
    } catch (err) {
      return { outcome: 'retry', error: (err as Error).message }
    }
  }

  async close(): Promise<void> {
    await this.#writer.close()
  }
}

/** Message IDs are `EUI64:EUI64:counter@dateTime` or `sha256:hex`: keep [A-Za-z0-9._-] only. */
export function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_')
}
