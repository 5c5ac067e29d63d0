/**
 * Reading the login and consent page of an authorization server the way a
 * browser would, without one: the first form, its action resolved against
 * the page URL, its method, and the value of every named input (the hidden
 * ones carry the transaction id and the CSRF token).
 */

/** A form to submit. `method` is upper-case, as HTTP methods are written (`GET`, `POST`). */
export interface HtmlForm {
  action: string
  method: string
  fields: Record<string, string>
}

/**
 * The first form of an HTML page, or `undefined` when it holds none.
 *
 * @example parseForm('<form method="post" action="/login"><input name="u" value="a"></form>', 'http://127.0.0.1/x')
 * // { action: 'http://127.0.0.1/login', method: 'POST', fields: { u: 'a' } }
 */
export function parseForm(html: string, baseUrl: string): HtmlForm | undefined {
  const form = /<form\b[^>]*>([\s\S]*?)<\/form>/i.exec(html)
  if (!form) return undefined
  const open = /<form\b[^>]*>/i.exec(form[0])![0]
  const action = new URL(attr(open, 'action') ?? baseUrl, baseUrl).href
  const method = (attr(open, 'method') ?? 'GET').toUpperCase()
  const fields: Record<string, string> = {}
  for (const m of (form[1] ?? '').matchAll(/<input\b[^>]*>/gi)) {
    const name = attr(m[0], 'name')
    const type = (attr(m[0], 'type') ?? 'text').toLowerCase()
    if (!name || type === 'submit' || type === 'button') continue
    fields[name] = attr(m[0], 'value') ?? ''
  }
  return { action, method, fields }
}

/** Whether the page has a named input (also outside the form, or without a value). */
export function hasInput(html: string, name: string): boolean {
  return new RegExp(`\\sname\\s*=\\s*["']?${name}\\b`, 'i').test(html)
}

// the attribute must follow whitespace: `data-name=` is not `name=`
function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag)
  return m ? decodeEntities(m[1] ?? m[2] ?? m[3] ?? '') : undefined
}

// `&amp;` last, so `&amp;quot;` reads as the text `&quot;`
function decodeEntities(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;|&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#x2F;|&#47;/g, '/')
    .replace(/&amp;/g, '&')
}
