/** The part of snappyjs's API remote write uses (the package ships no types). */
declare module 'snappyjs' {
  /** Snappy block format (what Prometheus remote write expects), not the framing format. */
  export function compress<T extends Uint8Array | ArrayBuffer>(input: T): T
  export function uncompress<T extends Uint8Array | ArrayBuffer>(input: T, maxLength?: number): T
  const snappyjs: { compress: typeof compress; uncompress: typeof uncompress }
  export default snappyjs
}
