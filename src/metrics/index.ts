export { GatewayMetrics } from './gateway-metrics.js'
