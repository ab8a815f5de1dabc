import type {Explanation} from './match.js'
import type {PolicyIssue} from './types.js'
import {escapeControl} from '../report/escape.js'

/** Plain-text forms for the policy commands; JSON output is the objects themselves. */

export function formatIssue(i: PolicyIssue): string {
  return escapeControl(`${i.file}:${i.line}: ${i.key}: ${i.message}`)
}

export function formatExplanation(e: Explanation): string {
  const lines = [`reference: ${e.reference}`, `matched as: ${e.name}`, `policy: ${e.policy.name} (${e.policy.source})`, '']
  for (const s of e.scopes) {
    const mark = s.status === 'selected' ? '=>' : '  '
    const label = s.status === 'selected' ? 'SELECTED' : s.status === 'shadowed' ? 'shadowed' : 'no match'
    const desc = s.description ? ` ${s.description}` : ''
    lines.push(`${mark} scope ${s.index}${s.line !== undefined ? ` (line ${s.line})` : ''}${desc}: ${label}`)
    lines.push(`     match: ${s.match.join(', ')}`)
    lines.push(`     ${s.why}`)
  }
  lines.push('')
  lines.push(e.selected === null ? `no scope applies: the verdict for ${e.name} fails` : `scope ${e.selected} applies`)
  return lines.map(escapeControl).join('\n')
}
