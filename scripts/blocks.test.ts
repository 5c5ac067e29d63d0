import { describe, expect, it } from 'vitest'
import { readBlock, replaceBlock } from './blocks.ts'

describe('replaceBlock', () => {
  const text = 'intro\n<!-- BEGIN faults -->\nold\n<!-- END faults -->\noutro\n'

  it('replaces what is between the markers and keeps them', () => {
    const out = replaceBlock(text, 'faults', '| a | b |')
    expect(out).toBe('intro\n<!-- BEGIN faults -->\n| a | b |\n<!-- END faults -->\noutro\n')
    expect(readBlock(out, 'faults')).toBe('| a | b |\n')
  })

  it('is idempotent', () => {
    const once = replaceBlock(text, 'faults', 'x\n')
    expect(replaceBlock(once, 'faults', 'x\n')).toBe(once)
  })

  it('throws when the markers are missing', () => {
    expect(() => replaceBlock(text, 'probes', 'x')).toThrow(/markers/)
  })
})
