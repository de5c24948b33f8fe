export { workerBeside } from './worker-beside.js'
export { BACKGROUND_NICE, runInBackground } from './background-priority.js'
