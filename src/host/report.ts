import type {Finding} from '../findings/finding.js'
import {bySeverity, ruleSections, severityLabel, type TextOptions} from '../report/text.js'
import type {HostReport} from './audit.js'

/** Labels, names and warnings come from the engine: control characters never reach the terminal as such. */
function clean(s: string): string {
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '?')
}

export function renderHostText(report: HostReport, o: TextOptions): string {
  const r = JSON.parse(JSON.stringify(report), (_k, v: unknown) => (typeof v === 'string' ? clean(v) : v)) as HostReport
  const pass = r.verdict === 'pass'
  const word = pass ? 'PASS' : 'FAIL'
  const head = o.color ? `${pass ? '\x1b[1;32m' : '\x1b[1;31m'}${word}\x1b[0m` : word
  const e = r.sources.engine
  const fs = r.sources.filesystem
  const out = [
    `${head}  host ${r.host ?? '(no engine)'}${fs.root ? ` root ${fs.root}` : ''}`,
    `Policy: ${r.policy.name}`,
    `Engine: ${e.status}${e.product ? ` ${e.product} ${e.version ?? ''} (API ${e.apiVersion ?? '?'})` : ''}` +
      `${e.transport ? `, ${e.transport}` : ''}${e.detail ? ` - ${e.detail}` : ''}`,
    ...(e.serverCert ? [`  server certificate ${e.serverCert.subject} until ${e.serverCert.notAfter}`] : []),
    ...(e.probe?.tlsVersions ? [`  TLS versions accepted: ${e.probe.tlsVersions.join(', ') || 'none'}`] : []),
    `Filesystem: ${fs.status}${fs.read?.length ? ` (read ${fs.read.join(', ')})` : ''}`,
  ]
  if (r.sources.endpoints.length) {
    out.push('', 'TCP endpoints configured here, probed without credentials:')
    for (const x of r.sources.endpoints) out.push(`  ${x.url} (${x.from}): ${x.transport}`)
  }
  if (r.containers.length) {
    out.push('', `Containers (${r.containers.length}, running or not):`)
    for (const c of r.containers)
      out.push(`  ${c.name}  ${c.state}  ${c.image}  owner ${c.owner ?? '(unknown)'}` +
        `  sensitivity ${c.sensitivity ?? '(unknown)'}  ${c.findings} finding(s)`)
  }
  if (r.notChecked.length) {
    out.push('', 'Not checked:')
    for (const n of r.notChecked) out.push(`  ${n.source}/${n.check}: ${n.why}`)
  }
  const n = r.summary.bySeverity
  out.push('', `Findings: ${n.critical} critical, ${n.high} high, ${n.medium} medium, ${n.low} low, ${n.info} info`)
  for (const x of r.notes) out.push(`Note: ${x}`)
  out.push('')
  out.push(...ruleSections(r.findings, (f: Finding) => [
    `  ${severityLabel(f.severity, o)} ${f.id}  ${f.title}`,
    `           ${(f as HostReport['findings'][number]).source}${f.path ? `, ${f.path}` : ''}`,
    `           ${f.evidence}`,
  ], bySeverity))
  if (r.findings.length === 0) out.push('No findings.')
  return `${out.join('\n')}\n`
}
