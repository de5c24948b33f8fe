export { workerBeside } from './worker-beside.js'
