import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { workerBeside } from './index.js'

const dir = mkdtempSync(join(tmpdir(), 'dccgw-beside-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('workerBeside', () => {
  it('is the compiled worker beside the calling module when it is there (dist/)', () => {
    mkdirSync(join(dir, 'store'))
    writeFileSync(join(dir, 'store', 'projection-thread.js'), '')
    writeFileSync(join(dir, 'store', 'projection-worker.js'), '')
    const caller = pathToFileURL(join(dir, 'store', 'projection-thread.js')).href
    expect(workerBeside(caller, './projection-worker.js')?.href).toBe(pathToFileURL(join(dir, 'store', 'projection-worker.js')).href)
  })

  it('is undefined when it is not there (running from source: no .js beside the .ts)', () => {
    expect(workerBeside(import.meta.url, './worker-beside.js')).toBeUndefined()
    const caller = pathToFileURL(join(dir, 'load.js')).href
    expect(workerBeside(caller, './load-worker.js')).toBeUndefined()
  })

  it('looks beside the caller, not beside itself', () => {
    writeFileSync(join(dir, 'outbox-worker.js'), '')
    expect(workerBeside(pathToFileURL(join(dir, 'outbox-writer.js')).href, './outbox-worker.js')).toBeDefined()
    expect(workerBeside(pathToFileURL(join(dir, 'store', 'x.js')).href, './outbox-worker.js')).toBeUndefined()
  })
})
