export { handleAdmin } from './router.js'
export type { AdminDeps, AdminStore } from './router.js'
export { checkBearer } from './auth.js'
export { staleCosReport } from './stale-cos.js'
