import {renderJson} from './json.js'
import {renderJunit} from './junit.js'
import {renderSarif} from './sarif.js'
import {renderScanText, renderVetText} from './text.js'
import type {Report} from './types.js'

export type Format = 'text' | 'json' | 'sarif' | 'junit'
export const FORMATS: readonly Format[] = ['text', 'json', 'sarif', 'junit']

export function render(r: Report, format: Format, color = false): string {
  switch (format) {
    case 'json':
      return renderJson(r)
    case 'sarif':
      return renderSarif(r)
    case 'junit':
      return renderJunit(r)
    case 'text':
      return r.kind === 'vet' ? renderVetText(r, {color}) : renderScanText(r, {color})
  }
}
