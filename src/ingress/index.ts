// Front door of src/ingress: the DUIS POST route and its bounds (content type, body size,
// in-flight cap, readiness) and the spool bounds (limits-spool.ts).
export { registerIngress } from './ingest-route.js'
export type { IngestOutcome, IngressDeps } from './ingest-route.js'
export { SpoolLimit } from './limits-spool.js'
