/** Tiny HTML helpers for the login, consent and device pages (escaping everything user-supplied). */

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>body{font:16px system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:.6rem 0}input{width:100%;padding:.4rem}button{margin:.8rem .4rem 0 0;padding:.5rem 1rem}.error{color:#b00020}</style>
</head><body><h1>${esc(title)}</h1>
${body}
</body></html>`
}

/** Read one cookie from a Cookie header. */
export function cookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** Security headers for HTML pages: no framing (clickjacking on consent), no caching. */
export const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
}

/**
 * Headers for the login and consent page. Chromium applies CSP `form-action`
 * to the redirects that follow a form submission, so the client's redirect
 * origin must be allowed next to 'self' or the browser blocks the callback.
 */
export function loginPageHeaders(redirectUri: string): Record<string, string> {
  let origin = ''
  try {
    origin = new URL(redirectUri).origin
  } catch {
    origin = ''
  }
  const formAction = origin && origin !== 'null' ? `'self' ${origin}` : "'self'"
  return {
    ...HTML_HEADERS,
    'content-security-policy': HTML_HEADERS['content-security-policy'].replace(
      "form-action 'self'",
      `form-action ${formAction}`,
    ),
  }
}
