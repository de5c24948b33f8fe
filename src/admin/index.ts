export { handleAdmin } from './router.js'
export type { AdminDeps } from './router.js'
export { checkBearer } from './auth.js'
export { staleCosReport } from './stale-cos.js'
