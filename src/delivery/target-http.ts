import { Agent, request } from 'undici'
import type { SpoolItem } from '../store/index.js'
import type { AttemptResult, Sender } from './types.js'

export interface HttpSenderOptions {
  label: string
  url: string
  timeoutMs: number
  connections: number
}

/**
 * POSTs the spooled bytes as they are (docs/http.md, "Delivery": byte for byte, original content type) with
 * `Idempotency-Key: <messageId>`. 2xx = done; 408, 429, 5xx, timeouts and connection errors are
 * retried; any other status is a rejection (the message goes to quarantine).
 */
export class HttpSender implements Sender {
  readonly label: string
  #url: string
  #agent: Agent
  #timeoutMs: number

  constructor(opts: HttpSenderOptions) {
    this.label = opts.label
    this.#url = opts.url
    this.#timeoutMs = opts.timeoutMs
    this.#agent = new Agent({ connections: opts.connections, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs })
  }

  async send(item: SpoolItem): Promise<AttemptResult> {
    try {
      const res = await request(this.#url, {
        method: 'POST',
        body: item.body,
        headers: { ...item.headers, 'content-type': item.contentType, 'idempotency-key': item.messageId },
        dispatcher: this.#agent,
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
      await res.body.dump()
      return classifyStatus(res.statusCode)
    } catch (err) {
      return { outcome: 'retry', error: describeError(err) }
    }
  }

  async close(): Promise<void> {
    await this.#agent.close()
  }
}

export function classifyStatus(status: number): AttemptResult {
  if (status >= 200 && status < 300) return { outcome: 'ok' }
  if (status === 408 || status === 429 || status >= 500) return { outcome: 'retry', error: `HTTP ${status}` }
  return { outcome: 'rejected', error: `HTTP ${status}` }
}

function describeError(err: unknown): string {
  const e = err as { code?: string; name?: string; message?: string }
  return [e.code ?? e.name, e.message].filter(Boolean).join(': ') || String(err)
}
