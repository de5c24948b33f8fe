import { Agent, type Dispatcher } from 'undici'
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
 *
 * Each request goes to the agent's `dispatch` with a small handler (Post) that settles on the
 * final status (docs/performance.md, "The main thread outside the store"): no response stream, no
 * async resource and no URL parse per request. The `timeoutMs` deadline of a whole request is one
 * timer per sender: the requests in flight share one timeout, so they fall due in the order they
 * were sent.
 */
export class HttpSender implements Sender {
  readonly label: string
  #origin = ''
  #path = ''
  /** why the URL cannot be posted to (each send answers retry with it), if so */
  #invalid: string | undefined
  #agent: Agent
  #timeoutMs: number
  /** requests in flight, oldest (first due) first */
  readonly #inFlight = new Set<Post>()
  #timer: NodeJS.Timeout | undefined

  constructor(opts: HttpSenderOptions) {
    this.label = opts.label
    try {
      const url = new URL(opts.url)
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`Invalid URL protocol: ${url.protocol}`)
      this.#origin = url.origin
      this.#path = `${url.pathname}${url.search}`
    } catch (err) {
      this.#invalid = describeError(err)
    }
    this.#timeoutMs = opts.timeoutMs
    this.#agent = new Agent({ connections: opts.connections, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs })
  }

  send(item: SpoolItem): Promise<AttemptResult> {
    if (this.#invalid !== undefined) return Promise.resolve({ outcome: 'retry', error: this.#invalid })
    return new Promise((resolve) => {
      const post = new Post(resolve, performance.now() + this.#timeoutMs, this.#inFlight)
      this.#inFlight.add(post)
      this.#timer ??= this.#arm()
      this.#agent.dispatch({
        origin: this.#origin, path: this.#path, method: 'POST', body: item.body,
        headers: { ...item.headers, 'content-type': item.contentType, 'idempotency-key': item.messageId },
      }, post)
    })
  }

  /** The timer for the oldest request in flight, if any. */
  #arm(): NodeJS.Timeout | undefined {
    const first = this.#inFlight.values().next()
    if (first.done === true) return undefined
    return setTimeout(() => this.#expire(), Math.max(0, first.value.deadline - performance.now())).unref()
  }

  #expire(): void {
    const now = performance.now()
    for (const post of this.#inFlight) {
      if (post.deadline > now) break
      this.#inFlight.delete(post)
      post.expire()
    }
    this.#timer = this.#arm()
  }

  async close(): Promise<void> {
    clearTimeout(this.#timer)
    await this.#agent.close()
  }
}

/** Past this many bytes the rest of a response body is not read: the connection is dropped instead. */
const BODY_READ_LIMIT = 128 * 1024

/**
 * One POST in flight: undici's dispatch handler. The attempt's result is the final status, settled
 * as soon as it arrives; the response body is then read and dropped (up to BODY_READ_LIMIT) so
 * the connection can be reused, and an error or the deadline while reading it changes nothing.
 */
class Post implements Dispatcher.DispatchHandler {
  #status = 0
  #bodyBytes = 0
  #abort: ((err: Error) => void) | undefined
  #timedOut: Error | undefined
  #settled = false

  constructor(readonly settle: (r: AttemptResult) => void, readonly deadline: number, readonly inFlight: Set<Post>) {}

  onConnect(abort: (err?: Error) => void): void {
    if (this.#timedOut !== undefined) abort(this.#timedOut)
    else this.#abort = abort
  }

  onHeaders(statusCode: number): boolean {
    if (statusCode < 200) return true // informational, the final status follows
    this.#status = statusCode
    this.#result(classifyStatus(statusCode))
    return true
  }

  onData(chunk: Buffer): boolean {
    this.#bodyBytes += chunk.length
    if (this.#bodyBytes > BODY_READ_LIMIT) this.#abort?.(new Error('response body not read past 128 KiB'))
    return true
  }

  onComplete(): void {
    this.inFlight.delete(this)
    this.#result(classifyStatus(this.#status))
  }

  onError(err: Error): void {
    this.inFlight.delete(this)
    this.#result({ outcome: 'retry', error: describeError(err) })
  }

  /** Past `timeoutMs`: aborted now if it was written, else as soon as undici would write it. */
  expire(): void {
    this.#timedOut = new DOMException('The operation was aborted due to timeout', 'TimeoutError')
    this.#abort?.(this.#timedOut)
  }

  #result(r: AttemptResult): void {
    if (this.#settled) return
    this.#settled = true
    this.settle(r)
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
