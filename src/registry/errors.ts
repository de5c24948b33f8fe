// Registry error codes (DCCGW_ERR_<AREA>_<WHAT>). Row-level problems are not errors:
// they are reported in the LoadReport and the row is skipped.

export type RegistryErrorCode =
  | 'DCCGW_ERR_REGISTRY_READ' // file missing or unreadable, bad gzip
  | 'DCCGW_ERR_REGISTRY_HEADER' // a header row whose columns are not the documented ones (README, "Configuration")
  | 'DCCGW_ERR_REGISTRY_EMPTY' // no valid rows
  | 'DCCGW_ERR_REGISTRY_REJECT_RATIO' // rejected share above registry.maxRejectRatio
  | 'DCCGW_ERR_REGISTRY_PARTIES' // parties.yaml invalid or inconsistent
  | 'DCCGW_ERR_REGISTRY_LIMIT' // more MPIDs or rows than the compact index can hold

export interface RowProblem {
  file: string
  line: number
  reason: string
}

/** A fatal registry load failure: the file, the rule, and the first row reasons. */
export class RegistryLoadError extends Error {
  override readonly name = 'RegistryLoadError'
  /** the message without the file prefix and reasons */
  readonly detail: string
  constructor(
    readonly code: RegistryErrorCode,
    readonly file: string,
    message: string,
    readonly reasons: readonly RowProblem[] = [],
  ) {
    const first = reasons.slice(0, 5).map((r) => `\n  ${r.file}:${r.line}: ${r.reason}`).join('')
    super(`${file}: ${message}${first}`)
    this.detail = message
  }
}

/** A load failure as a worker thread posts it (structured-clone safe). */
export type PostedLoadError = { code: RegistryErrorCode; file: string; detail: string; reasons: RowProblem[] } | { message: string }

export function postedLoadError(err: unknown): PostedLoadError {
  return err instanceof RegistryLoadError
    ? { code: err.code, file: err.file, detail: err.detail, reasons: [...err.reasons] }
    : { message: (err as Error).message ?? String(err) }
}

/** The error a worker posted, as thrown here; `what` names the work for a non-registry error. */
export function postedLoadErrorToError(e: PostedLoadError, what: string): Error {
  return 'code' in e ? new RegistryLoadError(e.code, e.file, e.detail, e.reasons) : new Error(`${what} failed: ${e.message}`)
}
