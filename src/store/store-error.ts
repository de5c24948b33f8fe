import { GatewayError, IngressErrors } from '../http/index.js'
import type { ErrorDef } from '../http/index.js'
import { isIoError } from './commit-queue.js'

// The errors a store throws on purpose: GatewayErrors, each with the HTTP status the admin API
// answers with (docs/cluster.md, README "Errors"). Anything else a store throws is a bug or an
// I/O failure.

/** Not in the catalogue: the admin API and the CLI turn it into their own "give a reason". */
const REASON_REQUIRED: ErrorDef = { code: 'DCCGW_ERR_REASON_REQUIRED', status: 400, title: 'Reason required' }

export type StoreErrorCode =
  | 'DCCGW_ERR_NOT_FOUND' | 'DCCGW_ERR_NOT_AVAILABLE' | 'DCCGW_ERR_BAD_REQUEST' | 'DCCGW_ERR_STORE_UNAVAILABLE' | 'DCCGW_ERR_REASON_REQUIRED'

export class StoreError extends GatewayError {
  override name = 'StoreError'
  declare readonly code: StoreErrorCode

  constructor(def: ErrorDef, message: string, cause?: unknown) {
    super(def, message, cause === undefined ? undefined : { cause })
  }
}

/** Deleting needs the operator's reason (reasonRequired). */
export class ReasonRequiredError extends StoreError {
  override name = 'ReasonRequiredError'
}

/** No such quarantined message, obligation, … (404). */
export function notFound(detail: string): StoreError {
  return new StoreError(IngressErrors.NOT_FOUND, detail)
}

/**
 * What this kind of store cannot answer (404, as docs/cluster.md promises for admin endpoints
 * that are not available with store.kind nats); the detail names the store kind.
 */
export function notAvailable(what: string, kind: string): StoreError {
  return new StoreError(IngressErrors.NOT_AVAILABLE, `${what} is not available with store.kind ${kind} (docs/cluster.md)`)
}

/** A request the store cannot read (a cursor it did not issue) (400). */
export function badRequest(detail: string): StoreError {
  return new StoreError(IngressErrors.BAD_REQUEST, detail)
}

/**
 * Deleting a quarantined critical alert whose critical-quarantined obligation is open needs the
 * operator's reason: the deletion closes a duty (Managing Critical Alerts guidance) (400).
 */
export function reasonRequired(id: string): ReasonRequiredError {
  return new ReasonRequiredError(REASON_REQUIRED, `quarantined message ${id} is a critical alert with an open obligation: give a reason to delete it`)
}

/** Coded error a store throws when a write could not be made durable (NATS: no quorum, timeout). */
export const STORE_UNAVAILABLE = IngressErrors.STORE_UNAVAILABLE.code

export function storeUnavailable(detail: string, cause?: unknown): StoreError {
  return new StoreError(IngressErrors.STORE_UNAVAILABLE, detail, cause)
}

/** SQLite I/O errors (disk full, read-only) and a clustered store's "not durable" both mean 503. */
export function isStoreUnavailable(err: unknown): boolean {
  return isIoError(err) || (err as { code?: unknown })?.code === STORE_UNAVAILABLE
}

export function isStoreError(err: unknown): err is StoreError {
  return err instanceof StoreError
}

/** What this kind of store cannot answer (notAvailable). */
export function isNotAvailable(err: unknown): err is StoreError {
  return err instanceof StoreError && err.code === IngressErrors.NOT_AVAILABLE.code
}
