export { systemClock, every } from './clock.js'
export type { Clock, ClockTimer } from './clock.js'
