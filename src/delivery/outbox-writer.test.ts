import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { writeOutboxJobs } from './outbox-files.js'
import { OutboxWriter } from './outbox-writer.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dccgw-outbox-writer-'))
  dirs.push(dir)
  return dir
}
const file = (name: string, text: string) => ({ name, data: Buffer.from(text) })

describe('writeOutboxJobs', () => {
  it('answers each job of a group on its own: one that cannot be written fails alone, the others are whole and no temporary file is left', async () => {
    const dir = scratch()
    writeFileSync(join(dir, 'blocked'), 'a file where a folder should be')
    const errors = await writeOutboxJobs([
      { folder: join(dir, 'A'), files: [file('1.headers.json', '{}'), file('1.xml', '<a/>')] },
      { folder: join(dir, 'blocked', 'B'), files: [file('2.xml', '<b/>')] },
      { folder: join(dir, 'A'), files: [file('3.txt', 'three'), file('3.json', '{"n":3}')] },
    ], new Set())
    expect(errors[0]).toBeNull()
    expect(errors[1]).toMatch(/ENOTDIR|EEXIST/)
    expect(errors[2]).toBeNull()
    expect(readdirSync(join(dir, 'A')).sort()).toEqual(['1.headers.json', '1.xml', '3.json', '3.txt'])
    expect(readFileSync(join(dir, 'A', '1.xml'), 'utf8')).toBe('<a/>')
    expect(readFileSync(join(dir, 'A', '3.json'), 'utf8')).toBe('{"n":3}')
  })

  it('makes a folder again when it was removed after it was first made', async () => {
    const dir = scratch()
    const made = new Set<string>()
    const folder = join(dir, 'notices', 'ACME')
    expect(await writeOutboxJobs([{ folder, files: [file('o1.txt', 'one')] }], made)).toEqual([null])
    rmSync(join(dir, 'notices'), { recursive: true }) // an operator cleared the outbox
    expect(await writeOutboxJobs([{ folder, files: [file('o2.txt', 'two')] }], made)).toEqual([null])
    expect(readFileSync(join(folder, 'o2.txt'), 'utf8')).toBe('two')
  })
})

describe('OutboxWriter', () => {
  it('settles each write of one group with its own result', async () => {
    const dir = scratch()
    mkdirSync(join(dir, 'A'))
    writeFileSync(join(dir, 'blocked'), '')
    const w = new OutboxWriter()
    const results = await Promise.allSettled([
      w.write({ folder: join(dir, 'A'), files: [file('1.xml', '<a/>')] }),
      w.write({ folder: join(dir, 'blocked', 'B'), files: [file('2.xml', '<b/>')] }),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected'])
    expect(readFileSync(join(dir, 'A', '1.xml'), 'utf8')).toBe('<a/>')
    await w.close()
  })

  it('fails the writes a dying worker held, and the next write starts a new worker', async () => {
    const dir = scratch()
    // a worker that exits on its first request
    const w = new OutboxWriter({ workerUrl: new URL(`data:text/javascript,${encodeURIComponent("import { parentPort } from 'node:worker_threads'; parentPort.on('message', () => process.exit(3))")}`) })
    await expect(w.write({ folder: dir, files: [file('1.xml', '<a/>')] })).rejects.toThrow(/exited \(code 3\)/)
    await expect(w.write({ folder: dir, files: [file('2.xml', '<b/>')] })).rejects.toThrow(/exited \(code 3\)/)
    expect(existsSync(join(dir, '1.xml'))).toBe(false)
    await w.close()
  })
})
