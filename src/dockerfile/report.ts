import {SEVERITIES, type Finding, type Severity} from '../findings/finding.js'
import {renderJson} from '../report/json.js'
import {renderJunit} from '../report/junit.js'
import {renderSarif} from '../report/sarif.js'
import {SEED_RULE_TITLES, type Report} from '../report/types.js'

const COLORS: Record<Severity, string> = {critical: '\x1b[1;31m', high: '\x1b[31m', medium: '\x1b[33m', low: '\x1b[36m', info: '\x1b[2m'}

/** `Dockerfile:12` per finding, grouped by seed rule, the verdict first: a Dockerfile has no digest or layers. */
export function renderDockerfileText(r: Report, color = false): string {
  const pass = r.verdict === 'pass'
  const word = pass ? 'PASS' : 'FAIL'
  const head = color ? `${pass ? '\x1b[1;32m' : '\x1b[1;31m'}${word}\x1b[0m` : word
  const s = r.summary.bySeverity
  const out = [`${head}  ${r.image.reference}`, `Policy: ${r.policy?.name ?? '-'}${r.policy?.scope ? ` (scope ${r.policy.scope})` : ''}`,
    `Findings: ${SEVERITIES.map((k) => `${k} ${s[k]}`).join(', ')}`]
  if (r.reasons?.length) {
    out.push('', 'Why it fails:')
    for (const x of r.reasons) out.push(`  - [${x.id}] ${x.message}`)
  }
  for (const n of r.notes ?? []) out.push(`Note: ${n}`)
  out.push('')
  const groups = new Map<string, Finding[]>()
  for (const f of r.findings) groups.set(f.rule, [...(groups.get(f.rule) ?? []), f])
  for (const [rule, list] of groups) {
    out.push(`${SEED_RULE_TITLES[rule] ?? rule}:`)
    for (const f of list) {
      const label = f.severity.toUpperCase().padEnd(8)
      out.push(`  ${color ? `${COLORS[f.severity]}${label}\x1b[0m` : label} ${f.id}  ${f.title}`, `           ${f.path ?? ''}:${f.line ?? ''}`, `           ${f.evidence}`)
      if (f.note) out.push(`           note: ${f.note}`)
    }
    out.push('')
  }
  if (r.findings.length === 0) out.push('No findings.')
  if (r.suppressed?.length) {
    out.push(`Suppressed by the policy's allowlist: ${r.suppressed.length}`)
    for (const f of r.suppressed) out.push(`  ${f.id} ${f.path ?? ''}:${f.line ?? ''} (${f.note ?? ''})`)
  }
  return `${out.join('\n')}\n`
}

/**
 * SARIF through the shared renderer, with locations pointing at the Dockerfile itself (a path relative to the
 * checkout, as code scanning wants) instead of the in-image pseudo-paths used for image findings.
 */
export function renderDockerfileSarif(r: Report): string {
  const doc = JSON.parse(renderSarif(r)) as {runs: Array<{automationDetails?: {id: string}; results: Array<{locations: Array<{physicalLocation: {artifactLocation: {uri: string}}}>}>}>}
  const uri = (r.image.reference.replace(/\\/g, '/').replace(/^\.\//, '').replace(/^\/+/, '') || 'Dockerfile').replace(/:/g, '_')
  for (const run of doc.runs) {
    run.automationDetails = {id: `imgvet-dockerfile/${uri}/`}
    for (const res of run.results) for (const loc of res.locations) loc.physicalLocation.artifactLocation.uri = uri
  }
  return `${JSON.stringify(doc, null, 2)}\n`
}

export type DockerfileFormat = 'text' | 'json' | 'sarif' | 'junit'

export function renderDockerfileReport(r: Report, format: DockerfileFormat, color = false): string {
  switch (format) {
    case 'json':
      return renderJson(r)
    case 'sarif':
      return renderDockerfileSarif(r)
    case 'junit':
      return renderJunit(r)
    case 'text':
      return renderDockerfileText(r, color)
  }
}
