import {renderRegistryHtml} from '../../nightly/render-html.js'
import type {ReportFormat} from './types.js'

export const html: ReportFormat = {
  name: 'html',
  summary: 'one self-contained page (no external assets)',
  render: {registry: renderRegistryHtml},
}
