import {renderComposeText} from '../../compose/report.js'
import {renderDockerfileText} from '../../dockerfile/report.js'
import {renderHostText} from '../../host/report.js'
import {renderRebuildText} from '../../rebuild/report.js'
import {renderScanText, renderVetText} from '../text.js'
import type {ReportFormat} from './types.js'

export const text: ReportFormat = {
  name: 'text',
  summary: 'for people (coloured on a terminal)',
  render: {
    scan: (r, c) => renderScanText(r, {color: c.color}),
    vet: (r, c) => renderVetText(r, {color: c.color}),
    dockerfile: (r, c) => renderDockerfileText(r, c.color),
    compose: (r, c) => renderComposeText(r, {color: c.color}),
    host: (r, c) => renderHostText(r, {color: c.color}),
    rebuild: (r, c) => renderRebuildText(r, c.color),
  },
}
