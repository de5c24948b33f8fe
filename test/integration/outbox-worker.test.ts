// The outbox's durable writes run on a worker thread once compiled (src/delivery/outbox-writer.ts;
// from source they run on the main thread): a group of deliveries and notices asked for in one turn
// of the event loop is written there and each one settles with its own result.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { OutboxWriter } from '../../dist/delivery/outbox-writer.js'
import { tempDir } from './harness.js'

it('writes a group of outbox files on the compiled worker, each write settling with its own result', async () => {
  const dir = tempDir('dccgw-outbox-worker-')
  writeFileSync(join(dir, 'blocked'), '')
  const w = new OutboxWriter()
  const body = Buffer.from('<sr><x/></sr>').subarray(4, 8) // a view into a larger buffer: only its bytes are written
  const writes = Array.from({ length: 40 }, (_, k) => w.write({
    folder: join(dir, `P${k % 3}`), files: [{ name: `${k}.headers.json`, data: Buffer.from(`{"k":${k}}`) }, { name: `${k}.xml`, data: body }],
  }))
  const bad = w.write({ folder: join(dir, 'blocked', 'Q'), files: [{ name: 'q.xml', data: body }] })
  await Promise.all(writes)
  await expect(bad).rejects.toThrow(/ENOTDIR|EEXIST/)
  for (let k = 0; k < 40; k++) {
    expect(readFileSync(join(dir, `P${k % 3}`, `${k}.xml`), 'utf8')).toBe('<x/>')
    expect(readFileSync(join(dir, `P${k % 3}`, `${k}.headers.json`), 'utf8')).toBe(`{"k":${k}}`)
  }
  expect(readdirSync(join(dir, 'P0')).filter((f) => f.endsWith('.tmp'))).toEqual([])
  await w.close()
})
