// The part of autocannon 8's API that bench/ingress.e2e.bench.ts uses (the package ships no types).
declare module 'autocannon' {
  interface Histogram { average: number; mean: number; p50: number; p90: number; p99: number; max: number }
  interface Request { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer
    setupRequest?: (req: Request, context: Record<string, unknown>) => Request }
  export interface Result { duration: number; requests: Histogram & { total: number }; latency: Histogram
    '2xx': number; non2xx: number; errors: number; timeouts: number; statusCodeStats?: Record<string, { count: number }> }
  export interface Options { url: string; connections?: number; pipelining?: number; duration?: number; overallRate?: number
    requests?: Request[]; method?: string; headers?: Record<string, string>; body?: string | Buffer }
  function autocannon(opts: Options): Promise<Result>
  export default autocannon
}
