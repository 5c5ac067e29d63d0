/**
 * The README's hero image: a short passing game day on the reference stack
 * (two resilient RSs through a JWKS outage and a key rotation,
 * `scripts/hero.yaml`), its report.html opened in headless Chromium and the
 * top of the page written to `docs/img/report.png` (deviceScaleFactor 1,
 * clipped, so the file stays small). Refuses to write an image of a run that
 * did not pass: the hero shows what a good stack looks like.
 *
 *   npm run hero                      run the game day (~45 s) and write the image
 *   npx tsx scripts/hero.ts --from reports/hero/<run-id>
 *                                     screenshot an earlier run's report.html instead
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium } from 'playwright-core'
import { runScenario } from '../src/runner/run.ts'
import { loadScenario } from '../src/scenario/load.ts'
import { ROOT } from './readme.ts'

/** Where the README shows the hero image. */
export const HERO_IMAGE = 'docs/img/report.png'
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
/** Width of the page and height of the clip: the header, what happened, the SLOs and the first lanes. */
const WIDTH = 1200
const HEIGHT = 1500

/** Run the hero game day; the folder of its reports. Throws when the run did not pass. */
async function run(): Promise<string> {
  const { scenario } = await loadScenario(join(ROOT, 'scripts', 'hero.yaml'))
  const outDir = await mkdtemp(join(tmpdir(), 'gameday-hero-'))
  const outcome = await runScenario(scenario, { outDir, reporters: ['html', 'json', 'markdown'] })
  if (!outcome.verdict.pass || outcome.record.status !== 'completed') {
    const broken = outcome.verdict.slos.filter((s) => !s.pass).map((s) => `${s.id}: ${s.attribution ?? 'no data'}`)
    throw new Error(
      `the hero run did not pass (${outcome.record.status}, exit ${outcome.exitCode}): ${broken.join('; ')} — see ${outcome.runDir}`,
    )
  }
  return outcome.runDir
}

/** Screenshot the top of `<runDir>/report.html` to `out`; its size in bytes. */
export async function screenshot(runDir: string, out: string): Promise<number> {
  const page0 = join(runDir, 'report.html')
  if (!existsSync(page0)) throw new Error(`no report.html in ${runDir}`)
  if (!readFileSync(page0, 'utf8').includes('<div class="verdict">PASS'))
    throw new Error(`${page0} is not a passing run`)
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
  try {
    const page = await browser.newPage({ viewport: { width: WIDTH, height: HEIGHT }, deviceScaleFactor: 1 })
    await page.goto(pathToFileURL(page0).href, { waitUntil: 'load' })
    await page.waitForFunction(
      () => Array.isArray((window as unknown as { __charts?: unknown[] }).__charts),
      undefined,
      {
        timeout: 15_000,
      },
    )
    await page.mouse.move(0, 0)
    await page.screenshot({ path: out, clip: { x: 0, y: 0, width: WIDTH, height: HEIGHT } })
  } finally {
    await browser.close()
  }
  return statSync(out).size
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const from = process.argv.indexOf('--from')
  const runDir = from >= 0 ? process.argv[from + 1]! : await run()
  const out = join(ROOT, HERO_IMAGE)
  const bytes = await screenshot(runDir, out)
  console.log(`${HERO_IMAGE}: ${(bytes / 1024).toFixed(0)} KB from ${join(runDir, 'report.html')}`)
}
