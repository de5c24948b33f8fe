import { describe, expect, it } from 'vitest'
import { progressPrinter } from './report.js'

function tty() {
  const out: string[] = []
  return { out, stream: { isTTY: true, write: (s: string) => out.push(s) > 0 } }
}

describe('progressPrinter', () => {
  it('files read at the same time share one line, which ends when both are read', () => {
    const { out, stream } = tty()
    const print = progressPrinter(stream)
    print({ file: 'registrations.csv', rows: 10, bytes: 100, totalBytes: 1000 })
    print({ file: 'devices.csv', rows: 5, bytes: 100, totalBytes: 2000 })
    print({ file: 'registrations.csv', rows: 100, bytes: 1000, totalBytes: 1000 })
    expect(out.join('')).not.toContain('\n')
    print({ file: 'devices.csv', rows: 150, bytes: 2000, totalBytes: 2000 })
    const lines = out.join('').split('\n')
    expect(lines).toHaveLength(2)
    const last = lines[0]!.split('\r').at(-1)!
    expect(last).toMatch(/^registrations\.csv: 100 rows, .* 100%, ETA 0 s \| devices\.csv: 150 rows, .* 100%, ETA 0 s/)
    expect(lines[1]).toBe('')
    // a file read after them starts a line of its own
    print({ file: 'other.csv', rows: 1, bytes: 10, totalBytes: 10 })
    expect(out.join('').split('\n')[1]).toMatch(/^\rother\.csv: 1 rows/)
  })

  it('prints nothing when the stream is not a terminal', () => {
    const out: string[] = []
    progressPrinter({ isTTY: false, write: (s: string) => out.push(s) > 0 })({ file: 'a.csv', rows: 1, bytes: 1, totalBytes: 1 })
    expect(out).toEqual([])
  })
})
