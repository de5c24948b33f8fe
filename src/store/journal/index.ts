// The durable journal: the hot path of the store redesign (docs/journal.md).
export { Journal } from './journal.js'
export type { AppendOptions, JournalOptions, JournalRecord, JournalStats, RecordKind, RecoveryReport } from './journal.js'
export { JournalCorruptError, JournalError } from './errors.js'
export type { JournalErrorCode } from './errors.js'
export { nodeJournalFs } from './fs-ops.js'
export type { JournalFs } from './fs-ops.js'
