/** The reporter registry, keyed by id (`--reporter json,junit`). */
import { html } from './html.ts'
import { json } from './json.ts'
import { junit } from './junit.ts'
import { markdown } from './markdown.ts'
import type { ReporterDefinition } from './types.ts'

export const reporters: Record<string, ReporterDefinition> = { json, junit, markdown, html }
