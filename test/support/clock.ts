// A clock tests move by hand (src/clock): the gateway, its store and its timers read time from it,
// so a test advances it instead of sleeping against a private timing.
import type { Clock, ClockTimer } from '../../src/clock/index.js'

interface Pending {
  at: number
  fn: () => unknown
  real?: NodeJS.Timeout
}

/**
 * `frozen` (the default): time stands still until advance() or set(); timers fire only then.
 * `running`: time passes as on the wall clock (timers fire on their own too), from `start`, plus
 * whatever advance() and set() add: the gateway runs normally and a test jumps past a bound.
 */
export class TestClock implements Clock {
  #base: number
  #from = performance.now()
  readonly #running: boolean
  readonly #timers = new Set<Pending>()

  constructor(start: number | string = Date.now(), opts: { running?: boolean } = {}) {
    this.#base = typeof start === 'string' ? Date.parse(start) : start
    this.#running = opts.running ?? false
  }

  /** bound: pass `clock.now` where a `() => number` is wanted */
  readonly now = (): number => (this.#running ? this.#base + Math.floor(performance.now() - this.#from) : this.#base)

  setTimeout(fn: () => unknown, ms: number): ClockTimer {
    const p: Pending = { at: this.now() + Math.max(0, ms), fn }
    this.#timers.add(p)
    if (this.#running) this.#arm(p)
    return {
      cancel: () => {
        clearTimeout(p.real)
        this.#timers.delete(p)
      },
    }
  }

  /** Moves time on by `ms`; timers due by then fire, and this settles when the work they started has. */
  advance(ms: number): Promise<void> {
    this.#base += ms
    return this.#fire()
  }

  /** Moves time to `iso` (forward or back); timers due by then fire. */
  set(iso: string): Promise<void> {
    this.#base += Date.parse(iso) - this.now()
    return this.#fire()
  }

  #arm(p: Pending): void {
    clearTimeout(p.real)
    p.real = setTimeout(() => {
      if (!this.#timers.delete(p)) return
      void p.fn()
    }, Math.max(0, p.at - this.now()))
    p.real.unref()
  }

  /** Due timers in time order, including ones a fired timer arms already due (bounded). */
  async #fire(): Promise<void> {
    const work: unknown[] = []
    for (let round = 0; round < 1000; round++) {
      const now = this.now()
      const due = [...this.#timers].filter((p) => p.at <= now).sort((a, b) => a.at - b.at)
      if (due.length === 0) break
      for (const p of due) {
        clearTimeout(p.real)
        this.#timers.delete(p)
        work.push(p.fn())
      }
    }
    if (this.#running) for (const p of this.#timers) this.#arm(p)
    await Promise.allSettled(work)
  }
}
