import { setPriority } from 'node:os'

/**
 * The nice value a background worker thread runs at: its work (the SQLite projection, outbox
 * files, WAL checkpoints) can wait a few milliseconds, an answer to the DCC cannot.
 */
export const BACKGROUND_NICE = 10

/**
 * Lowers the calling thread's scheduling priority to BACKGROUND_NICE. On Linux the nice value
 * belongs to a thread (setpriority(2), "BUGS"), so `setPriority(0, n)` from a worker thread changes
 * that thread only: the event loop and the libuv pool (the journal's fdatasync) keep theirs.
 * Raising one's own nice value needs no privilege; where the platform refuses, the thread keeps
 * its priority (a scheduling preference, not a correctness matter).
 */
export function runInBackground(): void {
  try {
    setPriority(0, BACKGROUND_NICE)
  } catch {
    // refused: the thread keeps its priority
  }
}
