import {renderGitlab, type GitlabOptions} from './gitlab.js'
import {renderJson} from './json.js'
import {renderJunit} from './junit.js'
import {renderSarif} from './sarif.js'
import {renderScanText, renderVetText} from './text.js'
import type {Report} from './types.js'

export type Format = 'text' | 'json' | 'sarif' | 'junit' | 'gitlab'
export const FORMATS: readonly Format[] = ['text', 'json', 'sarif', 'junit', 'gitlab']

export function render(r: Report, format: Format, color = false, gitlab: GitlabOptions = {}): string {
  switch (format) {
    case 'json':
      return renderJson(r)
    case 'sarif':
      return renderSarif(r)
    case 'junit':
      return renderJunit(r)
    case 'gitlab':
      return renderGitlab(r, gitlab)
    case 'text':
      return r.kind === 'vet' ? renderVetText(r, {color}) : renderScanText(r, {color})
  }
}
