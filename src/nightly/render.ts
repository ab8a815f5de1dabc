import {renderRegistryHtml} from './render-html.js'
import {renderRegistrySarif} from './render-sarif.js'
import type {RunReport} from './types.js'

export type RegistryFormat = 'json' | 'sarif' | 'html'

export function renderRegistryReport(r: RunReport, format: RegistryFormat): string {
  if (format === 'sarif') return renderRegistrySarif(r)
  if (format === 'html') return renderRegistryHtml(r)
  return `${JSON.stringify(r, null, 2)}\n`
}
