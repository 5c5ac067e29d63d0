/**
 * Generated blocks inside hand-written files (README, guides): the text
 * between `<!-- BEGIN name -->` and `<!-- END name -->` belongs to `npm run gen`.
 */

/**
 * Replace the content of block `name` in `text`. Throws when the markers are
 * missing or out of order, so a renamed block is noticed.
 *
 * @example replaceBlock(readme, 'faults', table) // keeps the markers, swaps what is between them
 */
export function replaceBlock(text: string, name: string, content: string): string {
  const begin = `<!-- BEGIN ${name} -->`
  const end = `<!-- END ${name} -->`
  const i = text.indexOf(begin)
  const j = text.indexOf(end, i + begin.length)
  if (i < 0 || j < 0) throw new Error(`block ${JSON.stringify(name)}: markers ${begin} … ${end} not found`)
  if (text.indexOf(begin, i + begin.length) >= 0 && text.indexOf(begin, i + begin.length) < j)
    throw new Error(`block ${JSON.stringify(name)}: nested or repeated BEGIN marker`)
  const body = content.endsWith('\n') ? content : `${content}\n`
  return `${text.slice(0, i + begin.length)}\n${body}${text.slice(j)}`
}

/** The content of block `name`, or undefined when the file has no such block. */
export function readBlock(text: string, name: string): string | undefined {
  const begin = `<!-- BEGIN ${name} -->`
  const end = `<!-- END ${name} -->`
  const i = text.indexOf(begin)
  const j = text.indexOf(end, i + begin.length)
  if (i < 0 || j < 0) return undefined
  return text.slice(i + begin.length, j).replace(/^\n/, '')
}
