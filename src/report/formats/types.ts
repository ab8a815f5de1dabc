import type {ComposeReport} from '../../compose/check.js'
import type {HostReport} from '../../host/audit.js'
import type {RunReport} from '../../nightly/types.js'
import type {RebuildResult} from '../../rebuild/rebuild.js'
import type {GitlabOptions} from '../gitlab.js'
import type {Report} from '../types.js'

/** What each command hands the renderers: the key is the command's report kind. */
export interface Reports {
  scan: Report
  vet: Report
  registry: RunReport
  dockerfile: Report
  compose: ComposeReport
  host: HostReport
  rebuild: RebuildResult
}

export type ReportKind = keyof Reports

export interface RenderContext {
  /** ANSI colours: only a text report going to a terminal. */
  color: boolean
  gitlab: GitlabOptions
}

/**
 * One report format: its name (the `--format` value), a line for the flag's help, and a renderer for each report
 * kind it can render. A command offers exactly the formats that have a renderer for its kind.
 */
export interface ReportFormat {
  name: string
  summary: string
  render: {[K in ReportKind]?: (r: Reports[K], c: RenderContext) => string}
}
