import {rebuildJson} from '../../rebuild/report.js'
import {renderRegistryJson} from '../../nightly/render.js'
import {renderJson} from '../json.js'
import type {ReportFormat} from './types.js'

const plain = (r: unknown) => `${JSON.stringify(r, null, 2)}\n`

export const json: ReportFormat = {
  name: 'json',
  summary: 'the whole report (scan, vet and registry reports: schemas/*.schema.json)',
  render: {
    scan: renderJson,
    vet: renderJson,
    dockerfile: renderJson,
    registry: renderRegistryJson,
    compose: plain,
    host: plain,
    rebuild: (r) => plain(rebuildJson(r)),
  },
}
