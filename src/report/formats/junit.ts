import {composeAsReport} from '../../compose/report.js'
import {renderJunit} from '../junit.js'
import type {ReportFormat} from './types.js'

export const junit: ReportFormat = {
  name: 'junit',
  summary: 'JUnit XML for CI test dashboards',
  render: {
    scan: renderJunit,
    vet: renderJunit,
    dockerfile: renderJunit,
    compose: (r) => renderJunit(composeAsReport(r)),
  },
}
