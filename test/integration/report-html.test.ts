import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findCapacity } from '../../src/capacity.ts'
import { renderCapacity } from '../../src/report/capacity.ts'
import { html } from '../../src/report/html.ts'
import { sampleRun } from '../fixtures/records/sample.ts'

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
    expect(charts.map((c) => c.id)).toEqual(['rate', 'latency', 'errors'])
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
    expect(inked).toHaveLength(3)
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
