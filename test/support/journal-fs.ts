// A journal file system whose group writes are a write and then an fdatasync, two calls a fake
// disk can fail, hold or tear one at a time. The real one (nodeJournalFs) opens segments O_DSYNC,
// so a group is one durable write: nothing a test could stop between the write and its sync.
import type { JournalFs } from '../../src/store/journal/index.js'

/** `fs` with openDurable as a plain read/write open, and writevDurable as its writev, then its fdatasync */
export function separateSync(fs: JournalFs): JournalFs {
  return {
    ...fs,
    openDurable: (path, create) => fs.open(path, create ? 'w+' : 'r+'),
    writevDurable: async (fd, buffers, position) => {
      const n = await fs.writev(fd, buffers, position)
      await fs.fdatasync(fd)
      return n
    },
  }
}
