import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'
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

/** How many times each chart's markers were laid out, in page order. */
function layouts(page: Page): Promise<number[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('.marker-band')).map((b) => Number((b as HTMLElement).dataset.layouts ?? 0)),
  )
}

/**
 * Every marker box on the page, and what is wrong with the layout: two boxes
 * that overlap, a box outside its chart, a tick away from its second's x.
 */
async function markerLayout(
  page: Page,
): Promise<{ boxes: Array<Box & { row: number }>; chartWidths: number[]; problems: string[] }> {
  const { boxes, chartWidths, problems } = await page.evaluate(() => {
    const charts = (
      window as unknown as {
        __charts: Array<{
          id: string
          uplot: { width: number; over: HTMLElement; valToPos(v: number, s: string): number }
        }>
      }
    ).__charts
    const byId = new Map(charts.map((c) => [`chart-${c.id}`, c.uplot]))
    const problems: string[] = []
    const boxes = Array.from(document.querySelectorAll('.marker')).map((el) => {
      const m = el as HTMLElement
      const chart = m.closest('.chart') as HTMLElement
      const u = byId.get(chart.id)!
      const r = m.getBoundingClientRect()
      const root = (chart.querySelector('.uplot') as HTMLElement).getBoundingClientRect()
      const name = `${chart.id}@${m.dataset.second}`
      if (r.left < root.left - 0.5 || r.right > root.right + 0.5)
        problems.push(`${name}: box ${r.left}–${r.right} outside its chart ${root.left}–${root.right}`)
      const want = u.over.getBoundingClientRect().left + u.valToPos(Number(m.dataset.second) + 0.5, 'x')
      const got = m.querySelector('.marker-tick')!.getBoundingClientRect().left
      if (Math.abs(want - got) > 2) problems.push(`${name}: tick at ${got}, its second at ${want}`)
      if (r.width <= 10) problems.push(`${name}: ${r.width}px wide`)
      return {
        chart: chart.id,
        second: Number(m.dataset.second),
        count: Number(m.dataset.count),
        row: Number(m.dataset.row),
        left: r.left,
        right: r.right,
        top: r.top + window.scrollY,
        bottom: r.bottom + window.scrollY,
      }
    })
    return { boxes, chartWidths: charts.map((c) => c.uplot.width), problems }
  })
  return { boxes, chartWidths, problems: [...problems, ...overlaps(boxes)] }
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
    const page = await browser!.newPage({ viewport: { width: 1400, height: 900 } })
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

    const wide = await markerLayout(page)
    expect(wide.boxes.length).toBeGreaterThan(charts.length)
    expect(wide.problems).toEqual([])
    // stacked into several rows somewhere
    expect(Math.max(...wide.boxes.map((b) => b.row))).toBeGreaterThan(0)

    // one marker per second per chart; the second 10 on the rate chart groups four components' events
    const rate = wide.boxes.filter((b) => b.chart === 'chart-rate')
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
    const png = join(dir, 'multi-rs.png')
    await page.screenshot({ path: png, fullPage: true })
    expect(statSync(png).size).toBeGreaterThan(10_000)

    // the window shrinks to half: every chart narrows and its markers are laid out again
    const before = await layouts(page)
    await page.setViewportSize({ width: 700, height: 900 })
    await page.waitForFunction(
      (n) =>
        Array.from(document.querySelectorAll('.marker-band')).every(
          (b, i) => Number((b as HTMLElement).dataset.layouts) > n[i]!,
        ),
      before,
      { timeout: 10_000 },
    )
    const narrow = await markerLayout(page)
    expect(narrow.chartWidths.every((w) => w <= 700)).toBe(true)
    expect(narrow.boxes.length).toBe(wide.boxes.length)
    expect(narrow.problems).toEqual([])
    // narrower charts need more rows for the same burst
    expect(Math.max(...narrow.boxes.map((b) => b.row))).toBeGreaterThanOrEqual(
      Math.max(...wide.boxes.map((b) => b.row)),
    )

    // zoomed in on seconds 8–16 of the rate chart: only the markers of those seconds, at their new x
    await page.evaluate(() => {
      const c = (
        window as unknown as { __charts: Array<{ id: string; uplot: { setScale(k: string, r: object): void } }> }
      ).__charts.find((x) => x.id === 'rate')!
      c.uplot.setScale('x', { min: 8, max: 16 })
    })
    const zoomed = await markerLayout(page)
    const seconds = zoomed.boxes.filter((b) => b.chart === 'chart-rate').map((b) => b.second)
    expect(seconds.length).toBeGreaterThan(3)
    expect(seconds.every((s) => s >= 8 && s < 16)).toBe(true)
    expect(zoomed.problems).toEqual([])
    expect(errors).toEqual([])
    await page.close()
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
