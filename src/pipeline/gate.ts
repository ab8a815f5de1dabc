import {ImgvetError} from '../errors.js'
import {SEVERITIES, type Finding, type Severity} from '../findings/finding.js'
import {escapeControl} from '../report/escape.js'
import type {Report} from '../report/types.js'

/** trivy's severity names; imgvet's `info` is trivy's UNKNOWN (INFO is taken too, as users will type it). */
const TRIVY: Record<string, Severity> = {unknown: 'info', info: 'info', low: 'low', medium: 'medium', high: 'high', critical: 'critical'}
const TRIVY_NAMES = 'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL'

/** What makes `scan` fail: the severities that count, the exit code they give, and how the verdict line names them. */
interface Gate {
  severities: ReadonlySet<Severity>
  exitCode: number
  label: string
}

function severityOf(name: string, flag: string): Severity {
  const s = TRIVY[name.trim().toLowerCase()]
  if (!s) throw new ImgvetError('usage', `${flag} takes ${TRIVY_NAMES} (case-insensitive), got "${escapeControl(name)}"`)
  return s
}

/** `--severity HIGH,CRITICAL` (a comma list, as trivy's). */
export function parseSeverityList(list: string): Set<Severity> {
  const names = list.split(',').filter((n) => n.trim() !== '')
  if (names.length === 0) throw new ImgvetError('usage', `--severity needs at least one of ${TRIVY_NAMES}`)
  return new Set(names.map((n) => severityOf(n, '--severity')))
}

/** `--fail-on high`: that severity and every one above it. */
function severitiesFrom(threshold: string): Set<Severity> {
  const min = severityOf(threshold, '--fail-on')
  return new Set(SEVERITIES.slice(0, SEVERITIES.indexOf(min) + 1))
}

/**
 * The gate the flags ask for, or none: as trivy, `--severity` alone only narrows the report and the exit code
 * stays 0 unless `--exit-code` is given; `--fail-on` is a gate of its own (exit 1 unless `--exit-code` says).
 */
export function gateFromFlags(flags: {'exit-code'?: number; severity?: string; 'fail-on'?: string}): Gate | null {
  const code = flags['exit-code']
  if (flags['fail-on'] !== undefined) {
    const min = severityOf(flags['fail-on'], '--fail-on')
    return {severities: severitiesFrom(flags['fail-on']), exitCode: code ?? 1, label: `at ${min} or above`}
  }
  if (code === undefined) return null
  const severities = flags.severity === undefined ? new Set(SEVERITIES) : parseSeverityList(flags.severity)
  const label = severities.size === SEVERITIES.length ? 'at any severity' : `at ${SEVERITIES.filter((s) => severities.has(s)).join(', ')}`
  return {severities, exitCode: code, label}
}

export function gated(findings: readonly Finding[], gate: Gate): Finding[] {
  return findings.filter((f) => gate.severities.has(f.severity))
}

const EXAMPLES = 3

function examples(findings: readonly Finding[]): string {
  const shown = findings.slice(0, EXAMPLES).map((f) => `${f.id}${f.path ? ` ${f.path}` : ''}`).join(', ')
  return ` (${shown}${findings.length > EXAMPLES ? ', ...' : ''})`
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/** The one stderr line a CI log shows when the report went to a file: the outcome and why. Names are escaped. */
export function verdictLine(r: Report, gate: Gate | null): string {
  if (r.kind === 'vet') {
    const reasons = r.reasons ?? []
    const why = reasons.slice(0, EXAMPLES).map((x) => `${x.platform ? `${x.platform}: ` : ''}${x.id}`).join(', ')
    const line = r.verdict === 'pass'
      ? `PASS: policy ${r.policy?.name ?? ''}, ${plural(r.findings.length, 'finding')}`
      : `FAIL: policy ${r.policy?.name ?? ''}: ${plural(reasons.length, 'reason')}${why ? ` (${why}${reasons.length > EXAMPLES ? ', ...' : ''})` : ''}`
    return escapeControl(`imgvet: ${line}`)
  }
  if (!gate) return escapeControl(`imgvet: ${plural(r.findings.length, 'finding')}${r.findings.length ? examples(r.findings) : ''}`)
  const hits = gated(r.findings, gate)
  const line = hits.length > 0 ? `FAIL: ${plural(hits.length, 'finding')} ${gate.label}${examples(hits)}` : `PASS: no findings ${gate.label}`
  return escapeControl(`imgvet: ${line}`)
}
