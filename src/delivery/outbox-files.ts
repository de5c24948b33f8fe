import { closeSync, fsync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs'
import { join } from 'node:path'

/** One outbox delivery: its files, renamed into `folder` in this order once all are durable. */
export interface OutboxJob {
  folder: string
  files: { name: string; data: Uint8Array }[]
}

/**
 * The file operations a group needs. Everything but the fsyncs is a call on the calling thread
 * (the outbox worker's: nothing else runs there); the fsyncs, which wait for the disk, go to the
 * thread pool so the files of a group are flushed concurrently.
 */
export interface OutboxFs {
  mkdir(path: string): void
  open(path: string, flags: 'w' | 'r'): number
  write(fd: number, data: Uint8Array): void
  fsync(fd: number): Promise<void>
  close(fd: number): void
  rename(from: string, to: string): void
}

export const nodeOutboxFs: OutboxFs = {
  mkdir: (path) => void mkdirSync(path, { recursive: true }),
  open: (path, flags) => openSync(path, flags),
  write: (fd, data) => {
    for (let at = 0; at < data.byteLength; ) at += writeSync(fd, data, at)
  },
  fsync: (fd) => new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve()))),
  close: (fd) => closeSync(fd),
  rename: (from, to) => renameSync(from, to),
}

/**
 * Writes a group of outbox jobs (the ones handed over together): each file goes to a temporary
 * name, is written and fsynced, and only then renamed, so a reader never sees half a file; after
 * the renames each folder that received a file is fsynced once for the group, so the names are
 * durable too. Returns per job `null` (done) or the error message. `made` remembers the folders
 * made already; a folder removed meanwhile (an operator clearing the outbox) is made again.
 *
 * A thread-pool round trip costs two thread wake-ups, so only the fsyncs take one (one per file
 * and one per folder, all of a group's at once); the opens, writes, closes and renames are plain
 * calls on this thread (docs/performance.md, "The main thread outside the store").
 */
export async function writeOutboxJobs(jobs: readonly OutboxJob[], made: Set<string>, fs: OutboxFs = nodeOutboxFs): Promise<(string | null)[]> {
  const errors = await Promise.all(jobs.map((job) => writeJob(job, made, fs).then(() => null, (err: Error) => err.message)))
  const folders = new Set(jobs.filter((_, k) => errors[k] === null).map((j) => j.folder))
  const failed = new Map<string, string>()
  await Promise.all([...folders].map((f) => syncFolder(f, fs).catch((err: Error) => void failed.set(f, err.message))))
  return errors.map((e, k) => e ?? failed.get(jobs[k]!.folder) ?? null)
}

async function writeJob(job: OutboxJob, made: Set<string>, fs: OutboxFs): Promise<void> {
  if (!made.has(job.folder)) {
    fs.mkdir(job.folder)
    made.add(job.folder)
  }
  const temps = job.files.map((f) => join(job.folder, `.${f.name}.tmp`))
  const fds: number[] = []
  try {
    for (const [k, f] of job.files.entries()) {
      let fd: number
      try {
        fd = fs.open(temps[k]!, 'w')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
        fs.mkdir(job.folder)
        fd = fs.open(temps[k]!, 'w')
      }
      fds.push(fd)
      fs.write(fd, f.data)
    }
    await Promise.all(fds.map((fd) => fs.fsync(fd)))
  } finally {
    for (const fd of fds) fs.close(fd)
  }
  for (const [k, f] of job.files.entries()) fs.rename(temps[k]!, join(job.folder, f.name))
}

async function syncFolder(folder: string, fs: OutboxFs): Promise<void> {
  const fd = fs.open(folder, 'r')
  try {
    await fs.fsync(fd)
  } finally {
    fs.close(fd)
  }
}
