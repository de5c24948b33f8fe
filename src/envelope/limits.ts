import type { EnvelopeLimits } from './types.js'

/**
 * Defaults sized for DUIS: a DSPInventory of 17 devices is ~400 elements at depth 7; GBCS payloads
 * are a few KiB; attributes are schemaVersion and xmlns URIs (ds:Reference URIs are short).
 */
export const DEFAULT_ENVELOPE_LIMITS: Readonly<EnvelopeLimits> = Object.freeze({
  maxDepth: 32,
  maxElements: 10_000,
  maxTextLength: 512 * 1024,
  maxAttributeLength: 2048,
})
