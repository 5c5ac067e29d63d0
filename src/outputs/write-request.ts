/**
 * Prometheus remote write 1.0's `WriteRequest`, encoded by hand: four small
 * protobuf messages (prompb/remote.proto, types.proto) do not earn a protobuf
 * runtime.
 *
 * ```proto
 * message WriteRequest { repeated TimeSeries timeseries = 1; }
 * message TimeSeries  { repeated Label labels = 1; repeated Sample samples = 2; }
 * message Label       { string name = 1; string value = 2; }
 * message Sample      { double value = 1; int64 timestamp = 2; }
 * ```
 */

/** One series to push: labels include `__name__`; they are sorted by name on encoding, as the spec requires. */
export interface RemoteSeries {
  readonly labels: Readonly<Record<string, string>>
  readonly samples: ReadonlyArray<{ readonly value: number; readonly timestamp: number }>
}

class Writer {
  readonly parts: Uint8Array[] = []
  length = 0
  #push(b: Uint8Array): void {
    this.parts.push(b)
    this.length += b.length
  }
  varint(n: number): void {
    const out: number[] = []
    let v = n
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80)
      v = Math.floor(v / 0x80)
    }
    out.push(v)
    this.#push(Uint8Array.from(out))
  }
  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire)
  }
  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2)
    this.varint(b.length)
    this.#push(b)
  }
  message(field: number, w: Writer): void {
    this.bytes(field, w.finish())
  }
  double(field: number, v: number): void {
    this.tag(field, 1)
    const b = Buffer.alloc(8)
    b.writeDoubleLE(v)
    this.#push(b)
  }
  finish(): Uint8Array {
    return Buffer.concat(this.parts, this.length)
  }
}

/**
 * The protobuf bytes of a WriteRequest (not compressed yet).
 *
 * @example encodeWriteRequest([{ labels: { __name__: 'up' }, samples: [{ value: 1, timestamp: Date.now() }] }])
 */
export function encodeWriteRequest(series: readonly RemoteSeries[]): Uint8Array {
  const req = new Writer()
  const utf8 = new TextEncoder()
  for (const s of series) {
    const ts = new Writer()
    for (const name of Object.keys(s.labels).sort()) {
      const l = new Writer()
      l.bytes(1, utf8.encode(name))
      l.bytes(2, utf8.encode(s.labels[name]!))
      ts.message(1, l)
    }
    for (const sample of s.samples) {
      const w = new Writer()
      w.double(1, sample.value)
      if (sample.timestamp !== 0) {
        w.tag(2, 0)
        w.varint(sample.timestamp)
      }
      ts.message(2, w)
    }
    req.message(1, ts)
  }
  return req.finish()
}
