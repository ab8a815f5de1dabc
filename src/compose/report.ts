import type {Finding} from '../findings/finding.js'
import {artifactUri, renderSarif} from '../report/sarif.js'
import {bySeverity, ruleSections, severityLabel, type TextOptions} from '../report/text.js'
import type {Report} from '../report/types.js'
import type {ComposeFinding, ComposeReport} from './check.js'

/** The shared renderers take a vet report; a compose report is one whose "image" is the first compose file. */
export function composeAsReport(r: ComposeReport): Report {
  return {
    kind: 'vet',
    tool: r.tool,
    image: {reference: r.files[0] ?? 'compose', digest: '', platform: ''},
    findings: r.findings,
    suppressed: r.suppressed,
    policy: {name: r.policy.name, scope: null},
    verdict: r.verdict,
    reasons: r.reasons.map((x) => ({id: x.id, message: x.message})),
    notes: r.notes,
    summary: r.summary,
  }
}

/** A path code scanning can place in the checkout: relative, forward slashes, no colon (it reads one as a scheme). */
function repoPath(p: string): string {
  return p.replace(/\\/g, '/').replace(/^\.\//, '').replace(/^\/+/, '').replace(/:/g, '_')
}

/**
 * SARIF through the shared renderer; compose findings point at the compose (or env) file and line, an image's
 * findings at `<repository>/<path-in-image>` as vet's do, and each result names its service.
 */
export function renderComposeSarif(r: ComposeReport): string {
  const base = composeAsReport(r)
  const doc = JSON.parse(renderSarif(base)) as {
    runs: Array<{
      automationDetails?: {id: string}
      results: Array<{
        locations: Array<{physicalLocation: {artifactLocation: {uri: string}}}>
        properties: Record<string, unknown>
      }>
    }>
  }
  const run = doc.runs[0]
  if (!run) return `${JSON.stringify(doc, null, 2)}\n`
  run.automationDetails = {id: `imgvet-compose/${repoPath(r.files[0] ?? 'compose')}/`}
  run.results.forEach((res, i) => {
    // Suppressed findings follow the findings, in the shared renderer's order.
    const f = r.findings[i] ?? r.suppressed[i - r.findings.length]
    if (!f) return
    const uri = f.image
      ? artifactUri({...base, image: {...base.image, reference: f.image}}, f)
      : repoPath(f.path ?? r.files[0] ?? '')
    for (const loc of res.locations) loc.physicalLocation.artifactLocation.uri = uri
    res.properties = {
      ...res.properties,
      service: f.service ?? null,
      ...(f.image ? {image: f.image} : {}),
      imageDigest: undefined,
    }
  })
  return `${JSON.stringify(doc, null, 2)}\n`
}

/** Control characters from a file or an image never reach the terminal as such. */
function clean(s: string): string {
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '?')
}

function where(f: ComposeFinding): string {
  const svc = f.service ? `service ${f.service}` : 'project'
  if (f.image)
    return `${svc}, image ${f.image}${f.path ? ` ${f.path}` : ''}${f.layer ? ` (layer ${f.layer.index})` : ''}`
  return `${svc}, ${f.path ?? ''}:${f.line ?? ''}`
}

export function renderComposeText(report: ComposeReport, o: TextOptions): string {
  const r = JSON.parse(JSON.stringify(report), (_k, v: unknown) =>
    typeof v === 'string' ? clean(v) : v,
  ) as ComposeReport
  const pass = r.verdict === 'pass'
  const head = o.color
    ? `${pass ? '\x1b[1;32m' : '\x1b[1;31m'}${pass ? 'PASS' : 'FAIL'}\x1b[0m`
    : pass
      ? 'PASS'
      : 'FAIL'
  const out = [`${head}  ${r.files.join(' + ')}`, `Policy: ${r.policy.name}`, '', 'Services:']
  const w = Math.max(...r.services.map((s) => s.name.length), 4)
  for (const s of r.services) {
    out.push(
      `  ${s.name.padEnd(w)}  ${s.verdict.padEnd(10)}  ${s.image ?? '(build)'}` +
        `${s.digest ? `@${s.digest.slice(0, 19)}…` : ''}${s.note ? `  (${s.note})` : ''}`,
    )
  }
  const counts = r.summary.bySeverity
  out.push(
    '',
    `Findings: ${counts.critical} critical, ${counts.high} high, ${counts.medium} medium, ${counts.low} low, ${counts.info} info`,
  )
  if (r.reasons.length) {
    out.push('', 'Why it fails:')
    for (const x of r.reasons) out.push(`  - [${x.id}] ${x.message}`)
  }
  for (const n of r.notes) out.push(`Note: ${n}`)
  out.push('')
  out.push(
    ...ruleSections(
      r.findings,
      (f: Finding) => {
        const lines = [
          `  ${severityLabel(f.severity, o)} ${f.id}  ${f.title}`,
          `           ${where(f)}`,
          `           ${f.evidence}`,
        ]
        if (f.note) lines.push(`           note: ${f.note}`)
        return lines
      },
      bySeverity,
    ),
  )
  if (r.findings.length === 0) out.push('No findings.')
  if (r.suppressed.length)
    out.push(
      `Suppressed: ${r.suppressed.length}`,
      ...r.suppressed.map((f) => `  ${f.id} ${where(f)} (${f.note ?? ''})`),
    )
  return `${out.join('\n')}\n`
}
