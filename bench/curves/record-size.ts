/**
 * Run record and report size per minute of run, for synthesized records of
 * a steady game day (token traffic, two RSs, a fault window of 401s,
 * introspection) built with the same encoded per-second histograms an
 * engine writes; and the HTML report's time until every chart is drawn in
 * headless Chromium (the page sets `window.__charts` when it is done).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium } from 'playwright-core'
import { reporters } from '../../src/report/index.ts'
import type { RunRecord } from '../../src/record/index.ts'
import { scoreRun } from '../../src/slo/score.ts'
import { buildRecord } from '../../test/fixtures/records/build.ts'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export interface RecordSizePoint {
  minutes: number
  /** run.json's record, bytes per minute of run. */
  recordBytesPerMinute: number
  /** Every reporter's files together (html, json, markdown, junit), bytes per minute. */
  reportBytesPerMinute: number
  htmlBytes: number
}

/** A steady game day of `minutes`: what one run with a fault and two RSs writes. */
export function syntheticRecord(minutes: number): RunRecord {
  const s = minutes * 60
  const jitter = (sec: number, i: number) => 8 + ((sec * 31 + i * 17) % 40) / 4
  return buildRecord({
    durationMs: s * 1000,
    series: [
      { metric: 'oauth_token', rate: 50, latencyMs: jitter },
      { metric: 'rs_request', tags: { target: 'rs1' }, rate: 200, latencyMs: jitter },
      { metric: 'rs_request', tags: { target: 'rs2' }, rate: 200, latencyMs: jitter },
      {
        metric: 'rs_request',
        tags: { target: 'rs1', status: '401', reason: 'unknown_kid' },
        failed: true,
        from: Math.floor(s / 3),
        to: Math.floor(s / 3) + 30,
        rate: 20,
      },
      { metric: 'introspection', rate: 20, latencyMs: jitter },
    ],
  })
}

export async function recordSize(minutes: number): Promise<RecordSizePoint> {
  const record = syntheticRecord(minutes)
  const verdict = scoreRun(record, [], [])
  let report = 0
  let htmlBytes = 0
  for (const r of Object.values(reporters)) {
    for (const f of await r.render(record, verdict)) {
      const n = Buffer.byteLength(typeof f.content === 'string' ? f.content : Buffer.from(f.content))
      report += n
      if (f.name.endsWith('.html')) htmlBytes = n
    }
  }
  return {
    minutes,
    recordBytesPerMinute: Math.round(Buffer.byteLength(JSON.stringify(record)) / minutes),
    reportBytesPerMinute: Math.round(report / minutes),
    htmlBytes,
  }
}

/** Median ms from navigation to every chart drawn, for the HTML report of a `minutes` record; `null` without Chromium. */
export async function htmlTimeToCharts(minutes: number, loads = 3): Promise<number | null> {
  if (!existsSync(CHROMIUM)) return null
  const record = syntheticRecord(minutes)
  const [file] = await reporters.html!.render(record, scoreRun(record, [], []))
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'))
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
  try {
    const path = join(dir, 'report.html')
    writeFileSync(path, file!.content)
    const times: number[] = []
    for (let i = 0; i < loads; i++) {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } })
      const t = performance.now()
      await page.goto(pathToFileURL(path).href, { waitUntil: 'commit' })
      await page.waitForFunction(
        () => Array.isArray((window as unknown as { __charts?: unknown[] }).__charts),
        undefined,
        { timeout: 30_000 },
      )
      times.push(performance.now() - t)
      await page.close()
    }
    times.sort((a, b) => a - b)
    return Math.round(times[Math.floor(times.length / 2)]!)
  } finally {
    await browser.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
