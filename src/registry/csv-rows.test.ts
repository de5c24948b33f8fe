import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { crc32, gzipSync } from 'node:zlib'
import { fields, MAX_FIELDS, scanRows, splitFields } from './csv-rows.js'
import { RegistryLoadError } from './errors.js'
import { RunningCrc } from './sources.js'
import { loadRegistry } from './load.js'
import { writeWorld } from '../../test/fixtures/registry/world.js'

const dir = mkdtempSync(join(tmpdir(), 'dccgw-csv-rows-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let seq = 0
function file(content: string | Buffer, gz = false): string {
  const p = join(dir, `f${seq++}.csv${gz ? '.gz' : ''}`)
  writeFileSync(p, gz ? gzipSync(content) : content)
  return p
}

/** What a line must split into, by plain string operations: the fields trimmed of spaces/tabs, then of one pair of quotes. */
function expected(line: string): string[] {
  const parts = line.split(',').map((f) => {
    const t = f.replace(/^[ \t]+|[ \t]+$/g, '')
    return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t
  })
  return parts.length > MAX_FIELDS ? [...parts.slice(0, MAX_FIELDS), '…more'] : parts
}

async function scanned(path: string, readBytes?: number): Promise<{ rows: string[][]; lines: number[]; bytes: number; crc: number }> {
  const rows: string[][] = []
  const lines: number[] = []
  const crc = new RunningCrc()
  const r = await scanRows(path, (buf, n, line) => {
    const row: string[] = []
    for (let i = 0; i < Math.min(n, MAX_FIELDS); i++) row.push(buf.toString('latin1', fields[2 * i]!, fields[2 * i + 1]!))
    if (n > MAX_FIELDS) row.push('…more')
    rows.push(row)
    lines.push(line)
  }, undefined, crc, readBytes)
  return { rows, lines, bytes: r.bytes, crc: crc.value }
}

describe('scanRows', () => {
  // lines with quotes, spaces, tabs, empty fields, too many fields, blank lines; \n or \r\n
  const rnd = (() => {
    let x = 7
    return (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n)
  })()
  const piece = () => ['1200012345679', 'ACME', '"2024-01-01"', ' E004 ', '\t"x"\t', '', '"', '""', 'a b', '00-12-4B-00-9E-37-79-B1', '"q,'][rnd(11)]!
  const lines = Array.from({ length: 400 }, () => rnd(12) === 0 ? '' : Array.from({ length: 1 + rnd(8) }, piece).join(','))
  const text = lines.map((l, i) => l + (i % 3 === 0 ? '\r\n' : '\n')).join('')

  it('splits every line as plain string operations do, whatever the read size (lines across reads, longer than a read)', async () => {
    const p = file(text)
    for (const readBytes of [5, 16, 61, 4096, undefined]) {
      const r = await scanned(p, readBytes)
      expect(r.rows).toEqual(lines.map(expected))
      expect(r.lines).toEqual(lines.map((_, i) => i + 1))
      expect(r.bytes).toBe(Buffer.byteLength(text))
    }
  })

  it('agrees with splitFields (the delta reader) line by line', () => {
    const buf = Buffer.from(text)
    let s = 0
    for (const l of lines) {
      const e = s + l.length
      const n = splitFields(buf, s, e)
      const row: string[] = []
      for (let i = 0; i < Math.min(n, MAX_FIELDS); i++) row.push(buf.toString('latin1', fields[2 * i]!, fields[2 * i + 1]!))
      if (n > MAX_FIELDS) row.push('…more')
      expect(row).toEqual(expected(l))
      s = e + (buf[e] === 13 ? 2 : 1)
    }
  })

  it('skips a UTF-8 BOM at the start only, also when the first read is shorter than the BOM', async () => {
    const p = file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a,b\n\ufeffc\n')]))
    for (const readBytes of [1, 2, 3, 64]) expect((await scanned(p, readBytes)).rows).toEqual([['a', 'b'], ['\xef\xbb\xbfc']])
    expect((await scanned(file(Buffer.from([0xef, 0xbb, 0xbf])))).rows).toEqual([])
    // a file shorter than a BOM is one line of its bytes, whatever the read buffer held before
    for (const readBytes of [1, 4]) expect((await scanned(file(Buffer.from([0xef, 0xbb])), readBytes)).rows).toEqual([['\xef\xbb']])
  })

  it('a trailing line break ends the last line; a line after it is read without one; a blank line is a line of one empty field', async () => {
    expect(await scanned(file('a,b\n'))).toMatchObject({ rows: [['a', 'b']], lines: [1] })
    expect(await scanned(file('a,b\n\n'))).toMatchObject({ rows: [['a', 'b'], ['']], lines: [1, 2] })
    expect(await scanned(file('a,b\r\n\r\nc'))).toMatchObject({ rows: [['a', 'b'], [''], ['c']], lines: [1, 2, 3] })
    expect((await scanned(file('a,"b"\r'))).rows).toEqual([['a', 'b']])
    expect((await scanned(file(''))).rows).toEqual([])
    // a \r not before a line break is data
    expect((await scanned(file('a\rb,c\n'))).rows).toEqual([['a\rb', 'c']])
  })

  it('reads .gz: the same rows; bytes and CRC-32 are of the file as stored', async () => {
    const p = file(text, true)
    const r = await scanned(p, 100)
    expect(r.rows).toEqual(lines.map(expected))
    const stored = readFileSync(p)
    expect(r.bytes).toBe(stored.length)
    expect(r.crc).toBe(crc32(stored))
    expect((await scanned(file(text))).crc).toBe(crc32(Buffer.from(text)))
  })

  it('a missing file or bad gzip is a read error naming the file', async () => {
    const missing = join(dir, 'missing.csv')
    await expect(scanRows(missing, () => {})).rejects.toMatchObject({ code: 'DCCGW_ERR_REGISTRY_READ', file: missing })
    const bad = join(dir, 'bad.csv.gz')
    writeFileSync(bad, 'not gzip at all')
    const err = await scanRows(bad, () => {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RegistryLoadError)
    expect(err).toMatchObject({ code: 'DCCGW_ERR_REGISTRY_READ', file: bad })
  })
})

describe('registry files through the scanner', () => {
  it('BOM, CRLF, quoted fields and blank lines: bad rows still name file:line', async () => {
    const regs = '\ufeffmpxn,supplier_mpid,effective_from,effective_to\r\n' + // 1 header after a BOM
      '"1200012345679","ACME", 2024-01-01 ,\r\n' + //                       2 ok: quoted, spaced, empty effective_to
      '\r\n' + //                                                             3 blank
      '"1200012345679,ACME,2024-02-01\r\n' + //                              4 bad: an unpaired quote is part of the field
      '1312345678333,"BRIT","2023-02-01","2023-01-31"\r\n' + //              5 bad: to before from
      '1312345678333,BRIT,2023-02-01' //                                     6 ok, no line break at the end
    const devs = '\ufeffdevice_id,device_type,mpxn\r\n' +
      '"00-12-34-56-78-AB-CD-EF",ESME,1200012345679\r\n' +
      '00-12-34-56-78-AB-CD-F0,ESME,1312345678333,,,extra\r\n' // 3 bad: more than 5 columns
    const w = writeWorld(regs, devs)
    const { index, report } = await loadRegistry(w, { maxRejectRatio: 0.9 })
    expect(report.reasons.map((r) => [r.file === w.registrations ? 'registrations' : 'devices', r.line, r.reason])).toEqual([
      ['registrations', 4, 'mpxn "\\"1200012345679" is not 1–13 digits'],
      ['registrations', 5, 'effective_to "2023-01-31" is before effective_from'],
      ['devices', 3, 'expected 3 to 5 columns (device_id,device_type,mpxn,device_status,mpxn_role), got 6'],
    ])
    expect(index.periods('1200012345679')).toEqual([{ mpid: 'ACME', from: '2024-01-01' }])
    expect(index.periodAt('1312345678333', '2023-03-01')?.mpid).toBe('BRIT')
    expect(index.mpxnsOfDevice('00-12-34-56-78-ab-cd-ef')).toEqual(['1200012345679'])
    expect(report.files.map((f) => [f.rows, f.rejected])).toEqual([[4, 0], [4, 2], [2, 1]])
  })
})
