import { mkdir, open, rename } from 'node:fs/promises'
import { join } from 'node:path'
import type { SpoolItem } from '../store/index.js'
import type { AttemptResult, Sender } from './types.js'

/**
 * Writes deliveries to files when a party has no adapter URL (the embedded demo, or an operator
 * who collects by file): `<outbox>/<party>/<message>.xml` with a `.headers.json` beside it, and
 * notices as `<outbox>/notices/<party>/<obligation>.json` + `.txt`. Each file is written to a
 * temporary name, fsynced and renamed, so a reader never sees half a file.
 */
export class OutboxSender implements Sender {
  readonly label = 'outbox'
  #dir: string
  /** folders made (or found) already: one mkdir per party folder, not one per file */
  readonly #made = new Set<string>()

  constructor(dir: string) {
    this.#dir = dir
  }

  async send(item: SpoolItem): Promise<AttemptResult> {
    try {
      if (item.target === 'notice') {
        const folder = join(this.#dir, 'notices', safeName(item.party))
        const name = safeName(item.obligationId ?? item.messageId)
        const notice = JSON.parse(item.body.toString('utf8')) as { text?: string }
        await this.#write(folder, `${name}.txt`, Buffer.from(notice.text ?? ''))
        await this.#write(folder, `${name}.json`, item.body)
      } else {
        const folder = join(this.#dir, safeName(item.party))
        const name = safeName(item.messageId)
        const headers = { ...item.headers, 'content-type': item.contentType, 'idempotency-key': item.messageId }
        await this.#write(folder, `${name}.headers.json`, Buffer.from(JSON.stringify(headers, null, 2)))
        await this.#write(folder, `${name}.xml`, item.body)
      }
      return { outcome: 'ok' }
    } catch (err) {
      return { outcome: 'retry', error: (err as Error).message }
    }
  }

  /** A folder removed while the gateway runs (an operator clearing the outbox) is made again. */
  async #write(folder: string, name: string, data: Buffer): Promise<void> {
    if (!this.#made.has(folder)) {
      await mkdir(folder, { recursive: true })
      this.#made.add(folder)
    }
    try {
      await writeDurably(folder, name, data)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      await mkdir(folder, { recursive: true })
      await writeDurably(folder, name, data)
    }
  }
}

/** Message IDs are `EUI64:EUI64:counter@dateTime` or `sha256:hex`: keep [A-Za-z0-9._-] only. */
export function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_')
}

async function writeDurably(folder: string, name: string, data: Buffer): Promise<void> {
  const tmp = join(folder, `.${name}.tmp`)
  const fh = await open(tmp, 'w')
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, join(folder, name))
}
