import {atLeast, SEVERITIES, type Finding, type Severity} from '../findings/finding.js'
import {originText} from '../findings/origin.js'
import {ruleInfo} from '../findings/rules.js'
import {escapeControl as e} from './escape.js'
import {formatBytes} from './progress.js'
import {SEED_RULE_TITLES, type Report} from './types.js'

export interface TextOptions {
  color: boolean
}

const COLORS: Record<Severity, string> = {critical: '\x1b[1;31m', high: '\x1b[31m', medium: '\x1b[33m', low: '\x1b[36m', info: '\x1b[2m'}

export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb'
}

/** The severity padded to one column, coloured on a terminal. */
export function severityLabel(s: Severity, o: TextOptions): string {
  const label = s.toUpperCase().padEnd(8)
  return o.color ? `${COLORS[s]}${label}\x1b[0m` : label
}

function where(f: Finding): string {
  const parts: string[] = f.platform ? [e(f.platform)] : []
  if (f.path) parts.push(`${e(f.path)}${f.line ? `:${f.line}` : ''}`)
  if (f.layer && f.removedIn) {
    parts.push(`deleted in layer ${f.removedIn.index} but still extractable from layer ${f.layer.index} (${f.layer.digest.slice(0, 19)})`)
  } else if (f.layer) parts.push(`layer ${f.layer.index}`)
  return parts.join('  ')
}

function findingLines(f: Finding, o: TextOptions): string[] {
  const lines = [`  ${severityLabel(f.severity, o)} ${f.id}  ${e(f.title)}`]
  const w = where(f)
  if (w) lines.push(`           ${w}`)
  if (f.evidence) lines.push(`           evidence: ${e(f.evidence)}`)
  if (f.note) lines.push(`           note: ${e(f.note)}`)
  if (f.origin) lines.push(`           origin: ${e(originText(f.origin))}`)
  if (atLeast(f.severity, 'medium')) lines.push(`           fix: ${ruleInfo(f.id, f).remedy}`)
  return lines
}

/** The digest and platform; a digest imgvet wrote itself (docker-archive) is never passed off as a registry's. */
function digestLine(r: Report): string {
  const made = r.image.digestSynthesised ? `; ${SYNTHESISED}` : ''
  return `Digest: ${e(r.image.digest)} (${e(r.image.platform)}${made})`
}

export const SYNTHESISED = "synthesised by imgvet from the archive's manifest.json, not a registry digest"

export function summaryTable(r: Report): string[] {
  const s = r.summary.bySeverity
  return [`Findings: ${SEVERITIES.map((k) => `${k} ${s[k]}`).join(', ')}`]
}

function mib(bytes: number): string {
  return `${Number((bytes / 1024 ** 2).toFixed(1))} MiB`
}

/** Text files cut at the cap: a secret past it was never looked for, and whoever reads the report must know. */
function partialTextLines(r: Report): string[] {
  const n = r.stats?.partialTextFiles ?? 0
  if (!r.stats || n === 0) return []
  const cap = mib(r.stats.maxTextBytes ?? 1024 ** 2)
  const listed = (r.stats.partialTextExamples ?? []).map((f) => `${e(f.path)} (${formatBytes(f.size)})`)
  const more = n > listed.length ? `, and ${n - listed.length} more` : ''
  const one = n === 1
  return [`${n} text file${one ? '' : 's'} larger than ${cap} ${one ? 'was' : 'were'} scanned only in ${one ? 'its' : 'their'} first ${cap} (--max-text-size raises the cap): ${listed.join(', ')}${more}`]
}

/** --skip-dirs / --skip-files: what no check looked at, said where the findings are. */
function skippedLines(r: Report): string[] {
  const s = r.stats
  if (!s?.skip) return []
  const n = s.skippedPaths ?? 0
  const patterns = [...s.skip.dirs.map((d) => `--skip-dirs ${e(d)}`), ...s.skip.files.map((f) => `--skip-files ${e(f)}`)].join(', ')
  const listed = (s.skippedExamples ?? []).map((x) => e(x.path))
  const more = n > listed.length ? `, and ${n - listed.length} more` : ''
  return [`${n} path${n === 1 ? '' : 's'} skipped, not scanned (${patterns})${listed.length ? `: ${listed.join(', ')}${more}` : ''}`]
}

/** An index: the platforms checked (each with its verdict in `vet`) and the entries that were not images. */
function platformLines(r: Report): string[] {
  if (!r.platforms) return []
  const width = Math.max(...r.platforms.map((p) => p.platform.length))
  const out = [`Platforms checked: ${r.platforms.length}`]
  for (const p of r.platforms) {
    const n = Object.values(p.summary.bySeverity).reduce((a, b) => a + b, 0)
    const verdict = p.verdict ? `${p.verdict.toUpperCase()}  ` : ''
    out.push(`  ${verdict}${p.platform.padEnd(width)}  ${p.digest}  ${n} finding${n === 1 ? '' : 's'}`)
  }
  for (const x of r.skipped ?? []) out.push(`  skipped ${x.platform} ${x.digest} (${x.why})`)
  return out
}

export function bySeverity(a: Finding, b: Finding): number {
  return SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity)
}

/** `scan`: grouped by layer, so "what is in layer N" reads top to bottom; config findings first. */
export function renderScanText(r: Report, o: TextOptions): string {
  const out = [`Image: ${e(r.image.reference)}`, digestLine(r)]
  if (r.stats) out.push(`Scanned ${r.stats.layers} layers, ${r.stats.files} files, ${formatBytes(r.stats.bytes)} in ${r.stats.seconds.toFixed(1)} s${r.stats.layersFromCache ? ` (${r.stats.layersFromCache} layers from cache)` : ''}`)
  out.push(...platformLines(r), ...partialTextLines(r), ...skippedLines(r), ...summaryTable(r), '')
  // Grouped by platform (an index), then config before layers in layer order.
  const order = new Map((r.platforms ?? []).map((p, i) => [p.platform, i]))
  const groups = new Map<string, {rank: [number, number]; list: Finding[]}>()
  for (const f of r.findings) {
    const place = f.layer ? `Layer ${f.layer.index} ${f.layer.digest}` : 'Image config'
    const key = `${f.platform ? `${f.platform}: ` : ''}${place}`
    const g = groups.get(key) ?? {rank: [order.get(f.platform ?? '') ?? 0, f.layer ? f.layer.index : -1], list: []}
    g.list.push(f)
    groups.set(key, g)
  }
  const keys = [...groups.entries()].sort(([, a], [, b]) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1])
  for (const [k, g] of keys) {
    out.push(k)
    for (const f of g.list.sort(bySeverity)) out.push(...findingLines(f, o))
    out.push('')
  }
  if (r.findings.length === 0) out.push('No findings.', ...(r.suppressed?.length ? [''] : []))
  out.push(...suppressedLines(r, suppressedWhere))
  return `${out.join('\n')}\n`
}

function suppressedWhere(f: Finding): string {
  return `${f.platform ? `${f.platform} ` : ''}${f.path ?? ''}${f.layer ? ` (layer ${f.layer.index})` : ''}`
}

/** `PASS  <reference>`, the word coloured on a terminal. */
export function verdictHeadline(r: Report, o: TextOptions): string {
  const pass = r.verdict === 'pass'
  const verdict = pass ? 'PASS' : 'FAIL'
  const head = o.color ? `${pass ? '\x1b[1;32m' : '\x1b[1;31m'}${verdict}\x1b[0m` : verdict
  return `${head}  ${e(r.image.reference)}`
}

export function policyLine(r: Report): string {
  return `Policy: ${e(r.policy?.name ?? '-')}${r.policy?.scope ? ` (scope ${e(r.policy.scope)})` : ''}`
}

/** Why the verdict is FAIL and what could not be checked, then a blank line. */
export function reasonLines(r: Report): string[] {
  const out: string[] = []
  if (r.reasons?.length) {
    out.push('', 'Why it fails:')
    for (const x of r.reasons) out.push(`  - [${x.id}] ${x.platform ? `${e(x.platform)}: ` : ''}${e(x.message)}`)
  }
  for (const n of r.notes ?? []) out.push(`Note: ${e(n)}`)
  out.push('')
  return out
}

/** Findings grouped under the seed rule they break, groups in order of first appearance. */
export function ruleSections(findings: readonly Finding[], lines: (f: Finding) => string[], order?: (a: Finding, b: Finding) => number): string[] {
  const groups = new Map<string, Finding[]>()
  for (const f of findings) {
    const g = groups.get(f.rule) ?? []
    g.push(f)
    groups.set(f.rule, g)
  }
  const out: string[] = []
  for (const [rule, list] of groups) {
    out.push(`${SEED_RULE_TITLES[rule] ?? rule}:`)
    for (const f of order ? list.sort(order) : list) out.push(...lines(f))
    out.push('')
  }
  return out
}

/**
 * Allowlisted findings at the end, counted per allowlist file and listed with the entry that hid each, so a
 * suppression is never silent: "3 findings suppressed by allow.yaml:".
 */
export function suppressedLines(r: Report, where: (f: Finding) => string): string[] {
  const groups = new Map<string, Finding[]>()
  for (const f of r.suppressed ?? []) {
    const file = f.allowedBy?.replace(/:\d+$/, '') ?? "the policy's allowlist"
    groups.set(file, [...(groups.get(file) ?? []), f])
  }
  const out: string[] = []
  for (const [file, list] of groups) {
    out.push(`${list.length} finding${list.length === 1 ? '' : 's'} suppressed by ${e(file)}:`)
    for (const f of list) {
      const at = where(f).trim()
      out.push(`  ${f.id}${at ? `  ${e(at)}` : ''}  (${e(f.allowedBy ?? '')}${f.allowedBy ? ', ' : ''}${e(f.note ?? '')})`)
    }
  }
  return out
}

/** `vet`: the verdict first, then findings grouped by the seed rule they break. */
export function renderVetText(r: Report, o: TextOptions): string {
  const out = [verdictHeadline(r, o), digestLine(r), ...platformLines(r), policyLine(r), ...summaryTable(r), ...partialTextLines(r), ...skippedLines(r), ...reasonLines(r)]
  out.push(...ruleSections(r.findings, (f) => findingLines(f, o), bySeverity))
  out.push(...suppressedLines(r, suppressedWhere))
  return `${out.join('\n')}\n`
}
