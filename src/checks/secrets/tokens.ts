import type {Severity} from '../../findings/finding.js'
import type {Detector} from './detector.js'
import {hit, isPlaceholder, type Hit, type LineIndex} from './util.js'

/** What a rule's validation says about one match. */
export interface Verdict {
  severity?: Severity
  note?: string
  /** false drops the match (not a token after all). */
  keep?: boolean
  /** A fact that changes with time, judged when the report is made (ISO 8601). Never a judgement like "expired". */
  expires?: string
  /** The part of the match that is the secret, when the match holds context (a key name, `-p`). */
  secret?: string
  evidence?: string
}

export interface TokenRule {
  id: string
  title: string
  severity: Severity
  /** Cheap substrings: the regex only runs when one of them is in the text. */
  needles: readonly string[]
  /** Group 1, when present, is the token; otherwise the whole match. */
  re: RegExp
  check?: (token: string, text: string, index: number) => Verdict
  /** Lower wins an overlap; a provider rule beats the JWT and generic rules that saw the same bytes. */
  priority?: number
}

/** Token boundaries: a token never starts or ends inside a longer word of its own alphabet. */
export const B = '(?<![A-Za-z0-9_-])'
export const E = '(?![A-Za-z0-9_-])'

/** A token whose variable part is a mask (XXXX, 0000) is a template, still worth an info line. */
export function maskedCheck(token: string): Verdict {
  const tail = token.replace(/^[a-z]+[-_]/i, '')
  if (/X{6,}|x{6,}|0{8,}|\*{4,}/.test(tail) || isPlaceholder(tail)) return {severity: 'info', note: 'masked or template value'}
  return {}
}

/** A value with too little variety to be random key material (`aaaaaaaa…`, `12345678…`). */
export function lowVariety(s: string, min = 10): boolean {
  return new Set(s).size < min
}

export function runRules(rules: readonly TokenRule[], text: string, lines: LineIndex, present: ReadonlySet<string>): Hit[] {
  const out: Hit[] = []
  for (const rule of rules) {
    if (!rule.needles.some((n) => present.has(n))) continue
    rule.re.lastIndex = 0
    for (const m of text.matchAll(rule.re)) {
      const token = m[1] ?? m[0]
      const start = m.index + (m[1] === undefined ? 0 : m[0].indexOf(token))
      const v = rule.check?.(token, text, start) ?? {}
      if (v.keep === false) continue
      out.push(hit(lines, {
        id: rule.id, severity: v.severity ?? rule.severity, category: 'secret', title: rule.title,
        secret: v.secret ?? token, start, end: start + token.length, note: v.note, expires: v.expires,
        evidence: v.evidence, priority: rule.priority ?? 5,
      }))
    }
  }
  return out
}

/** A detector made of token rules: its needles are its rules' needles. */
export function ruleDetector(id: string, version: number, rules: readonly TokenRule[]): Detector & {rules: readonly TokenRule[]} {
  return {
    id, version, rules,
    needles: [...new Set(rules.flatMap((r) => r.needles))],
    detect: (text, ctx) => runRules(rules, text, ctx.lines, ctx.present),
  }
}
