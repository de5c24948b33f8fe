import { mkdir, open, rename } from 'node:fs/promises'
import { join } from 'node:path'

/** One outbox delivery: its files, renamed into `folder` in this order once all are durable. */
export interface OutboxJob {
  folder: string
  files: { name: string; data: Uint8Array }[]
}

/**
 * Writes a group of outbox jobs (the ones handed over together): each file goes to a temporary
 * name, is written and fsynced, and only then renamed, so a reader never sees half a file; after
 * the renames each folder that received a file is fsynced once for the group, so the names are
 * durable too. Returns per job `null` (done) or the error message. `made` remembers the folders
 * made already; a folder removed meanwhile (an operator clearing the outbox) is made again.
 */
export async function writeOutboxJobs(jobs: readonly OutboxJob[], made: Set<string>): Promise<(string | null)[]> {
  const errors = await Promise.all(jobs.map((job) => writeJob(job, made).then(() => null, (err: Error) => err.message)))
  const folders = new Set(jobs.filter((_, k) => errors[k] === null).map((j) => j.folder))
  const failed = new Map<string, string>()
  await Promise.all([...folders].map((f) => syncFolder(f).catch((err: Error) => void failed.set(f, err.message))))
  return errors.map((e, k) => e ?? failed.get(jobs[k]!.folder) ?? null)
}

async function writeJob(job: OutboxJob, made: Set<string>): Promise<void> {
  if (!made.has(job.folder)) {
    await mkdir(job.folder, { recursive: true })
    made.add(job.folder)
  }
  const temps = await Promise.all(job.files.map(async (f) => {
    const tmp = join(job.folder, `.${f.name}.tmp`)
    try {
      await writeSynced(tmp, f.data)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      await mkdir(job.folder, { recursive: true })
      await writeSynced(tmp, f.data)
    }
    return tmp
  }))
  for (const [k, f] of job.files.entries()) await rename(temps[k]!, join(job.folder, f.name))
}

async function writeSynced(path: string, data: Uint8Array): Promise<void> {
  const fh = await open(path, 'w')
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
}

async function syncFolder(folder: string): Promise<void> {
  const fh = await open(folder, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}
