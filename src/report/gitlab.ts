import {createHash} from 'node:crypto'
import type {Finding, Severity} from '../findings/finding.js'
import {originText} from '../findings/origin.js'
import {artifactUri} from './sarif.js'
import {ruleInfo} from '../findings/rules.js'
import type {Report} from './types.js'

/**
 * GitLab ingests a security report only when it validates against the schema version it declares, and silently
 * drops versions the instance does not know; an older 15.x is what most self-managed instances still accept.
 */
export const GITLAB_SCHEMA_DEFAULT = '15.0.6'

const SEVERITY: Record<Severity, string> = {critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low', info: 'Info'}

export interface GitlabOptions {
  schemaVersion?: string
  /** The secret-detection schema requires a commit for each location; in GitLab CI that is CI_COMMIT_SHA. */
  commit?: string
  now?: Date
}

/** GitLab keys a vulnerability by its id across pipelines: derived from the finding's fingerprint, UUID-shaped. */
function stableId(f: Finding): string {
  const h = createHash('sha256').update(`imgvet|${f.fingerprint}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

/** GitLab's time format: seconds, no zone, no fraction. */
function gitlabTime(d: Date): string {
  return d.toISOString().slice(0, 19)
}

/** A `gl-secret-detection-report.json` (artifacts:reports:secret_detection), one vulnerability per finding. */
export function renderGitlab(r: Report, opts: GitlabOptions = {}): string {
  const end = opts.now ?? new Date()
  const start = new Date(end.getTime() - Math.round((r.stats?.seconds ?? 0) * 1000))
  // Outside a pipeline there is no commit: the image digest names what was scanned as precisely.
  const sha = opts.commit || r.image.digest.replace(/^sha256:/, '')
  const component = {id: 'imgvet', name: 'imgvet', version: r.tool.version, vendor: {name: 'imgvet'}}
  const report = {
    version: opts.schemaVersion ?? GITLAB_SCHEMA_DEFAULT,
    scan: {
      analyzer: component,
      scanner: component,
      type: 'secret_detection',
      start_time: gitlabTime(start),
      end_time: gitlabTime(end),
      status: r.error ? 'failure' : 'success',
      messages: r.error ? [{level: 'fatal', value: r.error.message}] : r.verdict ? [{level: r.verdict === 'fail' ? 'warn' : 'info', value: `imgvet verdict for ${r.image.reference} (${r.image.digest}): ${r.verdict}`}] : [],
    },
    vulnerabilities: r.findings.map((f) => ({
      id: stableId(f),
      name: f.title,
      description: [
        `${f.platform ? `${f.platform}: ` : ''}${f.title}${f.path ? ` in ${f.path}` : ' in the image config'}`,
        f.layer ? ` (layer ${f.layer.index}, ${f.layer.digest})` : '',
        f.removedIn ? `; deleted in layer ${f.removedIn.index} but still extractable from layer ${f.layer?.index}` : '',
        `: ${f.evidence}`,
        f.note ? `. ${f.note}` : '',
        f.origin ? `. Origin: ${originText(f.origin)}` : '',
      ].join(''),
      severity: SEVERITY[f.severity],
      solution: ruleInfo(f.id, f).remedy,
      identifiers: [{type: 'imgvet_rule_id', name: `imgvet ${f.id}`, value: f.id}],
      location: {
        file: artifactUri(r, f),
        ...(f.line ? {start_line: f.line} : {}),
        commit: {sha},
      },
    })),
  }
  return `${JSON.stringify(report, null, 2)}\n`
}
