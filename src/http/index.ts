// Front door of src/http: the gateway's one HTTP layer. Routing (each part registers on the
// router), problem+json and the error catalogue, TLS identity, and the listener.
export { GatewayError, IngressErrors, isGatewayError, problem, problemOf } from './errors.js'
export { answerFailure, answerRefusal } from './failure.js'
export type { ErrorDef, Problem } from './errors.js'
export { isXmlContentType, readBody, sendError, sendJson, sendProblem } from './http-util.js'
export type { BodyResult } from './http-util.js'
export { clientCommonName, clientSubjectRefusal, tlsServerOptions } from './tls-options.js'
export { createRouter } from './router.js'
export type { HttpPlugin, RouteHandler, Router, RoutingTable } from './router.js'
export { registerProbes } from './probes.js'
export type { ProbeDeps } from './probes.js'
export { createListener, listen, stopListening } from './server.js'
