import {escapeControl as e} from '../report/escape.js'
import {renderSarif} from '../report/sarif.js'
import {policyLine, reasonLines, ruleSections, severityLabel, summaryTable, suppressedLines, verdictHeadline} from '../report/text.js'
import type {Report} from '../report/types.js'

/** `Dockerfile:12` per finding, grouped by seed rule, the verdict first: a Dockerfile has no digest or layers. */
export function renderDockerfileText(r: Report, color = false): string {
  const o = {color}
  const out = [verdictHeadline(r, o), policyLine(r), ...summaryTable(r), ...reasonLines(r)]
  out.push(...ruleSections(r.findings, (f) => {
    const lines = [`  ${severityLabel(f.severity, o)} ${f.id}  ${e(f.title)}`, `           ${e(f.path ?? '')}:${f.line ?? ''}`, `           ${e(f.evidence)}`]
    if (f.note) lines.push(`           note: ${e(f.note)}`)
    return lines
  }))
  if (r.findings.length === 0) out.push('No findings.')
  out.push(...suppressedLines(r, (f) => `${f.path ?? ''}:${f.line ?? ''}`))
  return `${out.join('\n')}\n`
}

/**
 * SARIF through the shared renderer, with locations pointing at the Dockerfile itself (a path relative to the
 * checkout, as code scanning wants) instead of the in-image pseudo-paths used for image findings.
 */
export function renderDockerfileSarif(r: Report): string {
  const doc = JSON.parse(renderSarif(r)) as {
    runs: Array<{automationDetails?: {id: string}; results: Array<{locations: Array<{physicalLocation: {artifactLocation: {uri: string}}}>}>}>
  }
  const uri = (r.image.reference.replace(/\\/g, '/').replace(/^\.\//, '').replace(/^\/+/, '') || 'Dockerfile').replace(/:/g, '_')
  for (const run of doc.runs) {
    run.automationDetails = {id: `imgvet-dockerfile/${uri}/`}
    for (const res of run.results) for (const loc of res.locations) loc.physicalLocation.artifactLocation.uri = uri
  }
  return `${JSON.stringify(doc, null, 2)}\n`
}
