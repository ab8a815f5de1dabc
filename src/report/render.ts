import {ImgvetError} from '../errors.js'
import {gitlab} from './formats/gitlab.js'
import {html} from './formats/html.js'
import {json} from './formats/json.js'
import {junit} from './formats/junit.js'
import {sarif} from './formats/sarif.js'
import {text} from './formats/text.js'
import type {RenderContext, ReportFormat, ReportKind, Reports} from './formats/types.js'

export type {ReportKind}

/**
 * Every report format of every command, in one list: a command's `--format` choices are the formats with a
 * renderer for its report kind, so a new format is its file in formats/ plus one line here.
 */
const FORMATS: readonly ReportFormat[] = [text, json, sarif, junit, gitlab, html]

/** The formats every one of `kinds` can render, in list order (scan and vet share one flag). */
export function formatsFor(...kinds: ReportKind[]): string[] {
  return FORMATS.filter((f) => kinds.every((k) => f.render[k])).map((f) => f.name)
}

/** The flag's help: one line per format the kinds share. */
export function formatHelp(...kinds: ReportKind[]): string {
  return FORMATS.filter((f) => kinds.every((k) => f.render[k])).map((f) => `${f.name}: ${f.summary}`).join('; ')
}

/**
 * Render `r` as `format`. The flag's options already refuse a format the command cannot render (exit 2 at parse
 * time); this refuses it again for callers that did not come through a flag.
 */
export function renderAs<K extends ReportKind>(kind: K, format: string, r: Reports[K], c: Partial<RenderContext> = {}): string {
  const renderer = FORMATS.find((f) => f.name === format)?.render[kind]
  if (!renderer) {
    throw new ImgvetError('usage', `--format ${format} is not available here; choose one of ${formatsFor(kind).join(', ')}`)
  }
  return renderer(r, {color: c.color ?? false, gitlab: c.gitlab ?? {}})
}
