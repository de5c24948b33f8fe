// Runs in a worker thread: writes the outbox files the main thread hands over (outbox-writer.ts),
// so their opens, writes, fsyncs and renames cost the event loop one message per group, not a
// promise round trip each. One request is a group of jobs whose bytes travel in one transferred
// buffer; the answer names each job's error, or null.
import { parentPort } from 'node:worker_threads'
import { runInBackground } from '../threads/index.js'
import { writeOutboxJobs } from './outbox-files.js'
import type { OutboxRequest } from './outbox-writer.js'

runInBackground()
const made = new Set<string>()
parentPort?.on('message', (m: OutboxRequest) => {
  const jobs = m.jobs.map((j) => ({ folder: j.folder, files: j.files.map((f) => ({ name: f.name, data: new Uint8Array(m.bytes, f.start, f.length) })) }))
  void writeOutboxJobs(jobs, made).then((errors) => parentPort?.postMessage({ id: m.id, errors }))
})
