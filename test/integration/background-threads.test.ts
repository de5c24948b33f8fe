// The gateway's background worker threads (the SQLite projection, the outbox files, the WAL
// checkpoints) run at a lower scheduling priority than the event loop that answers the DCC
// (src/threads/background-priority.ts; docs/performance.md, "Where the slow answers waited"). Each is
// started here from dist/ (the compiled workers) and must add a thread at BACKGROUND_NICE, while
// the calling thread keeps its own priority. Linux: the nice values are read from /proc.
import { getPriority } from 'node:os'
import { expect, it } from 'vitest'
import { OutboxWriter } from '../../dist/delivery/outbox-writer.js'
import { JournaledStore, SqliteStore } from '../../dist/store/index.js'
import { BACKGROUND_NICE } from '../../dist/threads/index.js'
import { TestClock } from '../support/clock.js'
import { threadsAt } from '../support/thread-nice.js'
import { tempDir, waitFor } from './harness.js'

it('runs the projection, outbox and checkpoint workers below the event loop, each on its own thread', async () => {
  const own = getPriority()
  expect(BACKGROUND_NICE).toBeGreaterThan(own)
  const before = threadsAt(BACKGROUND_NICE)

  const store = await JournaledStore.open({ path: tempDir('dccgw-nice-journal-'), commitIntervalMs: 5, commitBatch: 64, synchronous: 'NORMAL', journal: { segmentBytes: 1 << 20 } })
  await store.flushProjection() // the projection worker has started and answered
  await waitFor('the projection worker at the background priority', () => threadsAt(BACKGROUND_NICE) === before + 1)

  const outbox = new OutboxWriter()
  await outbox.write({ folder: tempDir('dccgw-nice-outbox-'), files: [{ name: 'n.json', data: Buffer.from('{}') }] })
  await waitFor('the outbox worker at the background priority', () => threadsAt(BACKGROUND_NICE) === before + 2)

  const clock = new TestClock()
  const sqlite = new SqliteStore({ path: tempDir('dccgw-nice-ckpt-'), commitIntervalMs: 0, commitBatch: 64, synchronous: 'NORMAL', checkpointIntervalMs: 20, clock })
  await clock.advance(20) // one checkpoint round: settles when the worker has answered
  await waitFor('the checkpoint worker at the background priority', () => threadsAt(BACKGROUND_NICE) === before + 3)

  expect(getPriority()).toBe(own)
  await Promise.all([store.close(), outbox.close(), sqlite.close()])
})
