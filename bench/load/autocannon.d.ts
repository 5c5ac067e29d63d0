/** The part of autocannon's API the load benchmarks use (the package ships no types). */
declare module 'autocannon' {
  interface Histo {
    average: number
    p50: number
    p99: number
    max: number
  }
  interface Result {
    requests: Histo
    latency: Histo
    errors: number
    non2xx: number
    timeouts: number
  }
  function autocannon(opts: {
    url: string
    connections?: number
    duration?: number
    pipelining?: number
    amount?: number
  }): Promise<Result>
  export default autocannon
}
