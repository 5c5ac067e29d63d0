/**
 * A curve of the bench (bench/results/latest.json `curve`) as a small SVG
 * line chart: a log x axis when the sizes span a decade or more, y from 0,
 * each point labelled with its value. Deterministic: the same points give
 * the same bytes, so the generated docs can be checked for drift.
 */

export interface CurveSpec {
  title: string
  x: string
  y: string
  points: ReadonlyArray<readonly [number, number]>
}

const W = 480
const H = 240
const M = { left: 56, right: 24, top: 36, bottom: 44 }

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const r1 = (n: number) => Math.round(n * 10) / 10
const value = (n: number) => (Math.abs(n) >= 100 ? String(Math.round(n)) : String(r1(n)))
const label = (n: number) =>
  n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : n >= 100 ? String(Math.round(n)) : String(r1(n))

/** The SVG text of one curve. */
export function curveSvg(c: CurveSpec): string {
  const pts = c.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
  const xs = pts.map(([x]) => x)
  const ys = pts.map(([, y]) => y)
  const minX = Math.min(...xs)
  const maxX = Math.max(...xs)
  const log = minX > 0 && maxX / minX >= 10
  const fx = (x: number) => {
    const t = maxX === minX ? 0.5 : log ? Math.log(x / minX) / Math.log(maxX / minX) : (x - minX) / (maxX - minX)
    return r1(M.left + t * (W - M.left - M.right))
  }
  const top = Math.max(...ys, 0) * 1.15 || 1
  const fy = (y: number) => r1(H - M.bottom - (y / top) * (H - M.top - M.bottom))
  const line = pts.map(([x, y]) => `${fx(x)},${fy(y)}`).join(' ')
  const marks = pts
    .map(
      ([x, y]) =>
        `  <circle cx="${fx(x)}" cy="${fy(y)}" r="3.5"/>\n  <text x="${fx(x)}" y="${r1(fy(y) - 8)}" text-anchor="middle">${esc(value(y))}</text>\n  <text x="${fx(x)}" y="${H - M.bottom + 16}" text-anchor="middle">${esc(label(x))}</text>`,
    )
    .join('\n')
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
  <title>${esc(c.title)}</title>
  <rect width="${W}" height="${H}" fill="#fff"/>
  <text x="${M.left}" y="18" font-size="12" font-weight="bold">${esc(c.title.length > 70 ? `${c.title.slice(0, 69)}…` : c.title)}</text>
  <line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="#888"/>
  <line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="#888"/>
  <text x="${(M.left + W - M.right) / 2}" y="${H - 8}" text-anchor="middle">${esc(c.x)}${log ? ' (log scale)' : ''}</text>
  <text x="14" y="${(M.top + H - M.bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(M.top + H - M.bottom) / 2})">${esc(c.y)}</text>
  <text x="${M.left - 6}" y="${H - M.bottom + 4}" text-anchor="end">0</text>
  <polyline points="${line}" fill="none" stroke="#1f77b4" stroke-width="2"/>
  <g fill="#1f77b4">
${marks}
  </g>
</svg>
`
}
