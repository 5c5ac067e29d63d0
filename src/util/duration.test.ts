import { describe, expect, it } from 'vitest'
import { formatDuration, parseDuration } from './duration.ts'

describe('parseDuration', () => {
  it('parses k6-style units and compounds', () => {
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration('30s')).toBe(30_000)
    expect(parseDuration('1m30s')).toBe(90_000)
    expect(parseDuration('1d')).toBe(86_400_000)
    expect(parseDuration('1.5s')).toBe(1500)
  })

  it('refuses bare numbers and unknown units', () => {
    expect(parseDuration('15')).toBeUndefined()
    expect(parseDuration('15x')).toBeUndefined()
    expect(parseDuration('')).toBeUndefined()
    expect(parseDuration('s')).toBeUndefined()
  })

  it('formats back to a short string', () => {
    expect(formatDuration(90_000)).toBe('1m30s')
    expect(formatDuration(250)).toBe('250ms')
    expect(formatDuration(0)).toBe('0ms')
  })
})
