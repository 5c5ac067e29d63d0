import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findCapacity } from '../../src/capacity.ts'
import { renderCapacity } from '../../src/report/capacity.ts'
import { html } from '../../src/report/html.ts'
import { multiRsRun } from '../fixtures/records/multi-rs.ts'
import { sampleRun } from '../fixtures/records/sample.ts'

interface Box {
  chart: string
  second: number
  count: number
  left: number
  right: number
  top: number
  bottom: number
}

/** Pairs of marker boxes that share any area (on the same chart or not: the page is one surface). */
function overlaps(boxes: readonly Box[]): string[] {
  const out: string[] = []
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i]!
      const b = boxes[j]!
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
        out.push(`${a.chart}@${a.second} × ${b.chart}@${b.second}`)
    }
  }
  return out
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const present = existsSync(CHROMIUM)
if (!present && !process.env.CI)
  console.warn(
    `report-html: skipped, Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH or apt-get install chromium)`,
  )

describe.skipIf(!present && !process.env.CI)('html report in Chromium', () => {
  let browser: Browser | undefined
  let dir: string

  beforeAll(async () => {
    if (!present)
      throw new Error(
        `Chromium not found at ${CHROMIUM}: CI is set, so this test fails instead of skipping (set CHROMIUM_PATH or apt-get install chromium)`,
      )
    // kept after the run (reports/ is git-ignored) so people can glance at report.html and report.png
    dir = join(process.cwd(), 'reports', '_test', 'report-html')
    mkdirSync(dir, { recursive: true })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    })
  })

  afterAll(async () => {
    await browser?.close()
  })

  it('loads without console errors or network, draws every chart and writes a screenshot', async () => {
    const { record, verdict } = sampleRun()
    const [file] = await html.render(record, verdict)
    const path = join(dir, file!.name)
    writeFileSync(path, file!.content)

    const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } })
    const errors: string[] = []
    const requests: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text())
    })
    page.on('pageerror', (err) => errors.push(err.message))
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url())
    })
    await page.goto(pathToFileURL(path).href, { waitUntil: 'load' })
    await page.waitForFunction(
      () => Array.isArray((window as unknown as { __charts?: unknown[] }).__charts),
      undefined,
      { timeout: 10_000 },
    )

    const charts = await page.evaluate(() =>
      (
        window as unknown as { __charts: Array<{ id: string; points: number; series: number; nonNull: number }> }
      ).__charts.map((c) => ({ id: c.id, points: c.points, series: c.series, nonNull: c.nonNull })),
    )
    expect(charts.map((c) => c.id)).toEqual([
      'rs-rs1',
      'rate',
      'latency-introspection',
      'latency-oauth_token',
      'latency-rs_request',
      'errors',
    ])
    for (const c of charts) {
      expect(c.points).toBeGreaterThan(0)
      expect(c.nonNull).toBeGreaterThan(0)
    }

    // every chart canvas has drawn pixels in more than one colour
    const inked = await page.evaluate(() =>
      Array.from(document.querySelectorAll('.chart canvas')).map((el) => {
        const canvas = el as HTMLCanvasElement
        const ctx = canvas.getContext('2d')!
        const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data
        let ink = 0
        for (let i = 3; i < px.length; i += 4) if (px[i]! > 0) ink++
        return ink
      }),
    )
    expect(inked).toHaveLength(charts.length)
    for (const n of inked) expect(n).toBeGreaterThan(500)

    expect(await page.locator('header .verdict').textContent()).toContain('FAIL')
    expect(await page.locator('#slos tbody tr').count()).toBe(verdict.slos.length)
    expect(errors).toEqual([])
    expect(requests).toEqual([])

    const png = join(dir, 'report.png')
    await page.screenshot({ path: png, fullPage: true })
    expect(statSync(png).size).toBeGreaterThan(10_000)
    await page.close()
  })

  it('renders a multi-RS run: a lane per RS, grouped markers that never overlap, what happened, per-RS SLO rows', async () => {
    const { record, verdict } = multiRsRun()
    // a burst: 40 events over 8 seconds from four components, so markers must stack into rows
    for (let i = 0; i < 40; i++)
      record.events.push({
        t: 12_000 + i * 200,
        source: ['rs:billing', 'cdn', 'fault-proxy', 'mock-as'][i % 4]!,
        type: `burst.event_${i % 5}`,
      })
    const [file] = await html.render(record, verdict)
    const path = join(dir, 'multi-rs.html')
    writeFileSync(path, file!.content)
    for (const width of [1200, 700]) {
      const page = await browser!.newPage({ viewport: { width, height: 900 } })
      const errors: string[] = []
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text())
      })
      page.on('pageerror', (err) => errors.push(err.message))
      await page.goto(pathToFileURL(path).href, { waitUntil: 'load' })
      await page.waitForFunction(
        () => Array.isArray((window as unknown as { __charts?: unknown[] }).__charts),
        undefined,
        { timeout: 10_000 },
      )
      const charts = await page.evaluate(() =>
        (
          window as unknown as { __charts: Array<{ id: string; lane: boolean; labels: string[]; markers: number }> }
        ).__charts.map((c) => ({ id: c.id, lane: c.lane, labels: c.labels, markers: c.markers })),
      )
      const lanes = charts.filter((c) => c.lane)
      expect(lanes.map((c) => c.id)).toEqual(['rs-orders', 'rs-billing', 'rs-payments'])
      expect(lanes.find((c) => c.id === 'rs-billing')!.labels).toEqual(['accepted', 'rejected: validator_unavailable'])
      expect(lanes.find((c) => c.id === 'rs-payments')!.labels).toEqual(['accepted', 'rejected: unknown_kid'])
      expect(lanes.find((c) => c.id === 'rs-orders')!.labels).toEqual(['accepted'])
      // the lanes sit in their own section, each with a drawn canvas
      expect(await page.locator('#lanes .chart canvas').count()).toBe(3)
      expect(await page.locator('#lanes h2').textContent()).toBe('Per resource server')

      const boxes = await page.evaluate(() =>
        Array.from(document.querySelectorAll('.marker')).map((el) => {
          const r = el.getBoundingClientRect()
          const m = el as HTMLElement
          return {
            chart: m.closest('.chart')!.id,
            second: Number(m.dataset.second),
            count: Number(m.dataset.count),
            left: r.left,
            right: r.right,
            top: r.top + window.scrollY,
            bottom: r.bottom + window.scrollY,
          }
        }),
      )
      expect(boxes.length).toBeGreaterThan(charts.length)
      // each marker's tick stands at the middle of its second on its chart's x axis
      const misplaced = await page.evaluate(() => {
        const byId = new Map(
          (
            window as unknown as {
              __charts: Array<{ id: string; uplot: { over: HTMLElement; valToPos(v: number, s: string): number } }>
            }
          ).__charts.map((c) => [`chart-${c.id}`, c.uplot]),
        )
        return Array.from(document.querySelectorAll('.marker')).flatMap((el) => {
          const m = el as HTMLElement
          const u = byId.get(m.closest('.chart')!.id)!
          const want = u.over.getBoundingClientRect().left + u.valToPos(Number(m.dataset.second) + 0.5, 'x')
          const got = m.querySelector('.marker-tick')!.getBoundingClientRect().left
          return Math.abs(want - got) > 2 ? [`${m.closest('.chart')!.id}@${m.dataset.second}: ${got} != ${want}`] : []
        })
      })
      expect(misplaced).toEqual([])
      for (const b of boxes) expect(b.right - b.left).toBeGreaterThan(10)
      expect(overlaps(boxes)).toEqual([])
      // stacked into several rows somewhere, and every marker inside the page width
      const rows = await page.evaluate(() =>
        Math.max(
          ...Array.from(document.querySelectorAll('.marker')).map((el) => Number((el as HTMLElement).dataset.row)),
        ),
      )
      expect(rows).toBeGreaterThan(0)
      for (const b of boxes) expect(b.right).toBeLessThanOrEqual(width)

      // one marker per second per chart; the second 10 on the rate chart groups four components' events
      const rate = boxes.filter((b) => b.chart === 'chart-rate')
      expect(new Set(rate.map((b) => b.second)).size).toBe(rate.length)
      const ten = page.locator('#chart-rate .marker[data-second="10"]')
      expect(await ten.getAttribute('data-count')).toBe('4')
      expect((await ten.getAttribute('data-components'))!.split(' ').sort()).toEqual(['cdn', 'fault-proxy', 'rs'])
      expect(await ten.locator('.marker-list li').count()).toBe(4)
      await ten.hover()
      expect(await ten.locator('.marker-list').isVisible()).toBe(true)
      expect(await ten.locator('.marker-list').textContent()).toContain('rs:billing jwks.fetch_failed')
      // the billing lane shows its own RS events, never another RS's
      expect(
        await page
          .locator('#chart-rs-billing .marker-list')
          .allTextContents()
          .then((t) => t.join(' ')),
      ).not.toContain('rs:orders')

      // legend values only while the pointer is over the chart
      await page.mouse.move(1, 1)
      const legendValue = page.locator('#chart-rate .u-legend .u-value').nth(1)
      expect(await legendValue.evaluate((el) => getComputedStyle(el).visibility)).toBe('hidden')
      await page.locator('#chart-rate .u-over').hover()
      expect(await legendValue.evaluate((el) => getComputedStyle(el).visibility)).toBe('visible')
      expect(await page.locator('#chart-rate .u-legend .u-label').allTextContents()).toContain('rs_request')

      const happened = await page.locator('#what-happened li').allTextContents()
      expect(happened).toContain('jwks-outage was injected at 10.0s and reverted at 20.0s.')
      expect(happened).toContain(
        "billing (jose-defaults) first rejected valid tokens at 10.0s (validator_unavailable); it was back under M3's objective at 24.0s (4.0s after the revert).",
      )
      expect(happened.some((l) => l.startsWith('orders (resilient) kept accepting valid tokens'))).toBe(true)
      expect(await page.locator('#slos tr.rs[data-slo="M3"]').count()).toBe(3)
      expect(await page.locator('#slos tr.rs[data-slo="M3"]').first().getAttribute('data-rs')).toBe('billing')
      expect(await page.locator('#probes table.kv td').first().textContent()).toBe('orders')
      expect(errors).toEqual([])
      if (width === 1200) {
        const png = join(dir, 'multi-rs.png')
        await page.screenshot({ path: png, fullPage: true })
        expect(statSync(png).size).toBeGreaterThan(10_000)
      }
      await page.close()
    }
  })

  it('draws the capacity curve with no console errors', async () => {
    let clock = 0
    const result = await findCapacity(
      async (rate) => {
        clock += 30_000
        const p95Ms = 15 / (1 - Math.min(rate / 210, 0.999))
        return {
          pass: p95Ms < 300,
          p95Ms,
          achievedRate: Math.min(rate, 210),
          ...(p95Ms < 300 ? {} : { failing: ['M2'] }),
        }
      },
      { startRate: 10, maxRate: 1000, budgetMs: 3_600_000, now: () => clock },
    )
    const files = renderCapacity(result, { scenarioId: 'capacity', title: 'token endpoint capacity' })
    const path = join(dir, 'capacity.html')
    writeFileSync(path, files[1]!.content)
    const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } })
    const errors: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text())
    })
    page.on('pageerror', (err) => errors.push(err.message))
    await page.goto(pathToFileURL(path).href, { waitUntil: 'load' })
    await page.waitForFunction(
      () => Array.isArray((window as unknown as { __charts?: unknown[] }).__charts),
      undefined,
      { timeout: 10_000 },
    )
    const charts = await page.evaluate(() =>
      (window as unknown as { __charts: Array<{ points: number; nonNull: number }> }).__charts.map((c) => ({
        points: c.points,
        nonNull: c.nonNull,
      })),
    )
    expect(charts).toHaveLength(1)
    expect(charts[0]!.points).toBe(new Set(result.steps.map((s) => s.rate)).size)
    expect(charts[0]!.nonNull).toBeGreaterThan(3)
    expect(errors).toEqual([])
    await page.screenshot({ path: join(dir, 'capacity.png'), fullPage: true })
    await page.close()
  })
})
