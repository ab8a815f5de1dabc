import {renderGitlab, type GitlabOptions} from './gitlab.js'
import {renderJson} from './json.js'
import {renderJunit} from './junit.js'
import {renderSarif} from './sarif.js'
import {renderScanText, renderVetText} from './text.js'
import type {Report} from './types.js'

interface RenderContext {
  color: boolean
  gitlab: GitlabOptions
}

/**
 * Every report format of scan and vet, in one table: the `--format` flag's choices are its keys, so a new format
 * is its renderer file plus one line here.
 */
const RENDERERS = {
  text: (r: Report, c: RenderContext) => (r.kind === 'vet' ? renderVetText(r, {color: c.color}) : renderScanText(r, {color: c.color})),
  json: (r: Report) => renderJson(r),
  sarif: (r: Report) => renderSarif(r),
  junit: (r: Report) => renderJunit(r),
  gitlab: (r: Report, c: RenderContext) => renderGitlab(r, c.gitlab),
} satisfies Record<string, (r: Report, c: RenderContext) => string>

export type Format = keyof typeof RENDERERS
export const FORMATS = Object.keys(RENDERERS) as Format[]

export function render(r: Report, format: Format, color = false, gitlab: GitlabOptions = {}): string {
  return RENDERERS[format](r, {color, gitlab})
}
