// The SQLite projection in a worker thread (docs/journal.md, "The projection"): its own connection to
// gateway.db applies the batches of journal records the main thread posts (one transferred buffer
// per batch, projection-thread.ts), one transaction each with the journal position, through the
// same code as recovery (projection.ts). Every answer goes back on the port.
import type { MessagePort } from 'node:worker_threads'
import { workerData } from 'node:worker_threads'
import { runInBackground } from '../threads/index.js'
import { pageCacheKiB } from './page-cache.js'
import { Projection } from './projection.js'
import { SqliteStore } from './sqlite-store.js'
import { asBuffer, unpackBatch } from './projection-thread.js'
import type { ProjectionReply, ProjectionRequest, ProjectionWorkerData } from './projection-thread.js'
import type { ObligationTransition } from './types.js'

const { path, synchronous, autocheckpoint, pageCacheMiB, port } = workerData as ProjectionWorkerData & { port: MessagePort }
runInBackground()
const store = new SqliteStore({ path, commitIntervalMs: 0, commitBatch: 1, synchronous, pageCacheMiB })
// the main connection's setting: 0 while the checkpoint thread checkpoints (checkpointer.ts)
store.db.pragma(`wal_autocheckpoint = ${autocheckpoint}`)
const projection = new Projection(store, synchronous)

function answer(m: ProjectionRequest): ProjectionReply {
  try {
    switch (m.t) {
      case 'apply':
        return { id: m.id, result: projection.apply(unpackBatch(m.buf), m.durable) }
      case 'probe':
        return { id: m.id, grow: projection.canGrow() }
      case 'transitions':
        // a notice body arrives as a Uint8Array (structured clone): bound as the Buffer it was
        return { id: m.id, transitions: projection.obligationTransitions(m.list.map(withBufferBody), m.now, m.actor) }
      case 'due':
        return { id: m.id, rows: projection.dueObligations(m.now) }
      case 'pages':
        store.db.pragma(`max_page_count = ${m.pages}`)
        return { id: m.id }
      case 'cache':
        return { id: m.id, cacheKiB: pageCacheKiB(store.db) }
      case 'stop':
        void store.close()
        return { id: m.id }
    }
  } catch (err) {
    const e = err as { message?: string; code?: unknown }
    return { id: m.id, error: { message: String(e?.message ?? err), ...(typeof e?.code === 'string' && { code: e.code }) } }
  }
}

function withBufferBody(t: ObligationTransition): ObligationTransition {
  const body: Uint8Array | undefined = t.notice?.body
  return body === undefined || Buffer.isBuffer(body) ? t : { ...t, notice: { ...t.notice!, body: asBuffer(body) } }
}

port.on('message', (m: ProjectionRequest) => {
  port.postMessage(answer(m))
  if (m.t === 'stop') port.close()
})
