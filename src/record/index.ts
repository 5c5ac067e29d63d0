/**
 * The run record: the one schema ({@link RunRecordSchema}) and its types,
 * the histogram codec, and the live accumulator of a run still going. The
 * ground scoring and reports stand on; it imports nothing from the units.
 */
export * from './schema.ts'
