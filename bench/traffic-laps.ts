// The replay's traffic (bench/traffic.ts) as an endless stream of new messages: message i is
// document i mod N of the traffic file, in lap floor(i / N). Lap L > 0 moves the counter in every
// ID by L * 2^40, so each message is new to the gateway (no dedupe across laps) and keeps the
// oracle's expected outcome. Used by the soak and the cluster bench.
import type { Traffic } from './traffic.js'
import type { Expected } from './traffic-oracle.js'

/** The quick replay's traffic (npm run bench -- --quick): 20,000 documents over a 100k-MPxN world. */
export const QUICK_TRAFFIC = { messages: 20_000, mpxns: 100_000, seed: 1, cosRate: 0.18, no623Share: 0.1 }

const BASE_COUNTER = 1n << 60n // traffic.ts: the counter of document k is 2^60 + k
const LAP_STRIDE = 1n << 40n

export class Laps {
  readonly n: number
  readonly #counters: string[]
  constructor(readonly t: Traffic) {
    this.n = t.bodies.length
    this.#counters = t.bodies.map((_b, k) => String(BASE_COUNTER + BigInt(k)))
  }

  expected(i: number): Expected {
    return this.t.expected[i % this.n]!
  }

  body(i: number): Buffer {
    const k = i % this.n
    const lap = Math.floor(i / this.n)
    const b = this.t.bodies[k]!
    if (lap === 0) return b
    const text = b.toString('utf8')
    const from = this.#counters[k]!
    // documents without the counter (some malformed ones) get a lap mark: still malformed, still new
    if (!text.includes(from)) return Buffer.from(`${text}\n<!-- lap ${lap} -->`)
    return Buffer.from(text.replaceAll(from, String(BASE_COUNTER + BigInt(lap) * LAP_STRIDE + BigInt(k))))
  }
}
