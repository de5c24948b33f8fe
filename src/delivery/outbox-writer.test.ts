import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { nodeOutboxFs, writeOutboxJobs, type OutboxFs } from './outbox-files.js'
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

  it('takes one thread-pool round trip per file and per folder (the fsyncs), each file flushed before its rename and each folder after its renames', async () => {
    const dir = scratch()
    const log: string[] = []
    let pending = 0
    let mostAtOnce = 0
    const name = new Map<number, string>()
    const fs: OutboxFs = {
      ...nodeOutboxFs,
      open: (path, flags) => {
        const fd = nodeOutboxFs.open(path, flags)
        name.set(fd, path.slice(dir.length + 1))
        return fd
      },
      fsync: async (fd) => {
        mostAtOnce = Math.max(mostAtOnce, ++pending)
        await nodeOutboxFs.fsync(fd)
        pending--
        log.push(`fsync ${name.get(fd)}`)
      },
      rename: (from, to) => {
        nodeOutboxFs.rename(from, to)
        log.push(`rename ${to.slice(dir.length + 1)}`)
      },
    }
    const errors = await writeOutboxJobs([
      { folder: join(dir, 'A'), files: [file('1.txt', 'one'), file('1.json', '{"n":1}')] },
      { folder: join(dir, 'A'), files: [file('2.txt', 'two'), file('2.json', '{"n":2}')] },
    ], new Set(), fs)
    expect(errors).toEqual([null, null])
    // the only asynchronous calls: 4 files + 1 folder, the files' all in flight together
    expect(log.filter((l) => l.startsWith('fsync'))).toHaveLength(5)
    expect(mostAtOnce).toBe(4)
    for (const f of ['1.txt', '1.json', '2.txt', '2.json']) {
      expect(log.indexOf(`fsync A/.${f}.tmp`)).toBeGreaterThanOrEqual(0)
      expect(log.indexOf(`fsync A/.${f}.tmp`)).toBeLessThan(log.indexOf(`rename A/${f}`))
      expect(log.indexOf(`rename A/${f}`)).toBeLessThan(log.indexOf('fsync A'))
    }
    expect(log.indexOf('rename A/1.txt')).toBeLessThan(log.indexOf('rename A/1.json')) // in the job's order
    expect(readFileSync(join(dir, 'A', '2.json'), 'utf8')).toBe('{"n":2}')
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
