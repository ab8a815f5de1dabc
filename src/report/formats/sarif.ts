import {renderComposeSarif} from '../../compose/report.js'
import {renderDockerfileSarif} from '../../dockerfile/report.js'
import {renderRegistrySarif} from '../../nightly/render-sarif.js'
import {renderSarif} from '../sarif.js'
import type {ReportFormat} from './types.js'

export const sarif: ReportFormat = {
  name: 'sarif',
  summary: 'SARIF 2.1.0 for GitHub code scanning',
  render: {
    scan: renderSarif,
    vet: renderSarif,
    dockerfile: renderDockerfileSarif,
    compose: renderComposeSarif,
    registry: renderRegistrySarif,
    rebuild: (r) => renderSarif(r.report),
  },
}
