// Journal error codes (DCCGW_ERR_<AREA>_<WHAT>).

export type JournalErrorCode =
  | 'DCCGW_ERR_JOURNAL_CORRUPT' // open refused: a bad record or header where the log must be whole
  | 'DCCGW_ERR_STORE_UNAVAILABLE' // an append's group could not be made durable (write, fdatasync, roll): 503
  | 'DCCGW_ERR_JOURNAL_CLOSED' // append or read after close()
  | 'DCCGW_ERR_JOURNAL_RECORD_TOO_LARGE' // a record that cannot fit in one segment
  | 'DCCGW_ERR_JOURNAL_RANGE' // a read from a position already retired

export class JournalError extends Error {
  override readonly name = 'JournalError'
  constructor(
    readonly code: JournalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/**
 * Recovery found a bad record or header where the journal must be whole (any segment but the
 * tail of the last one). Names the file and byte offset and says what an operator can do.
 */
export class JournalCorruptError extends JournalError {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly problem: string,
  ) {
    super(
      'DCCGW_ERR_JOURNAL_CORRUPT',
      `journal segment ${file} at byte offset ${offset}: ${problem}. The gateway will not start on a damaged journal: ` +
        `records from this point on could be acknowledged decisions. Keep a copy of the journal directory, then restore the ` +
        `segment from a backup, or move ${file} and every later segment aside to start without them (the decisions they held are lost).`,
    )
  }
}

/** Same code as the store's "not durable" error, so the gateway maps it to 503 + Retry-After. */
export function notDurable(detail: string, cause: unknown): JournalError {
  return new JournalError('DCCGW_ERR_STORE_UNAVAILABLE', `journal: ${detail}`, { cause })
}
