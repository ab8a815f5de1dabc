import type {Severity} from '../../findings/finding.js'
import type {Detector, WordHits} from './detector.js'
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
  /**
   * The needles are too short for the walk's prefilter (two letters, which its case-folded pass meets in most
   * texts and would stop at on every few characters): the rule looks for them itself, in every text.
   */
  unfiltered?: boolean
  /** Group 1, when present, is the token; otherwise the whole match. */
  re: RegExp
  check?: (token: string, text: string, index: number) => Verdict
  /** Lower wins an overlap; a provider rule beats the JWT and generic rules that saw the same bytes. */
  priority?: number
  /**
   * Run the regex only in a window around each occurrence of a needle (`back` characters before it, `fwd` from
   * it): for needles common in ordinary text, where trying the regex at every position would cost the walk.
   */
  around?: {back: number; fwd: number}
  /**
   * Run the regex only where a match may start: from the end of an occurrence of one of `words` (any case) up to
   * `within` characters past that occurrence's start. For a rule whose check wants such a word just before the match
   * anyway; `span` is the longest match. The words come from the walk's one pass (ctx.words).
   */
  near?: {words: readonly string[]; within: number; span: number}
  /** Every match holds this substring: without it in the text the regex cannot match and is not run. */
  contains?: string
}

/** Token boundaries: a token never starts or ends inside a longer word of its own alphabet. */
export const B = '(?<![A-Za-z0-9_-])'
export const E = '(?![A-Za-z0-9_-])'

/**
 * A token whose variable part is a mask (XXXX, 0000) or a keyboard run (`abcdefghij`, `123456789`) is a template,
 * still worth an info line.
 */
export function maskedCheck(token: string): Verdict {
  const tail = token.replace(/^[a-z]+[-_]/i, '')
  if (/X{6,}|x{6,}|0{8,}|\*{4,}/.test(tail) || isPlaceholder(tail) || longestRun(tail) >= 8) {
    return {severity: 'info', note: 'masked or template value'}
  }
  return {}
}

/** The longest run of consecutive characters (`abcd`, `4567`): random material almost never has one of 8. */
function longestRun(s: string): number {
  let best = 1
  let run = 1
  for (let i = 1; i < s.length; i++) {
    run = s.charCodeAt(i) === s.charCodeAt(i - 1) + 1 ? run + 1 : 1
    if (run > best) best = run
  }
  return best
}

/** A value with too little variety to be random key material (`aaaaaaaa…`, `12312312…`). */
export function lowVariety(s: string, min = 10): boolean {
  return new Set(s).size < min
}

/** Drops a token whose part after its prefix (`sgp_`, `dapi`, `tk-us-`) has too little variety; masks are info. */
export function varied(min: number): (token: string) => Verdict {
  return (token) => (lowVariety(token.replace(/^(?:[a-z0-9]+[-_.])+/i, ''), min) ? {keep: false} : maskedCheck(token))
}

/**
 * A value assigned to a name that holds one of `names`: `SNYK_TOKEN = "…"`, `"snyk": "…"`, `snyk_key: …`,
 * `SONAR.LOGIN ?= …`. Group 1 is the value. For providers whose keys have no prefix of their own, the name is
 * the only context that makes a UUID or a run of hex a credential.
 */
export function namedValue(names: string, value: string): RegExp {
  // Bounded name parts, starting at a word's start: unbounded ones backtrack quadratically on long identifiers.
  return new RegExp(`(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]{0,40}?(?:${names})[A-Za-z0-9_.-]{0,40}?["']?[ \\t]*(?::{1,3}=|\\?=|=>|=|:)[ \\t]*["'\`]?(${value})(?![A-Za-z0-9_-])`, 'gi')
}

/** namedValue rules run only around their names: a case-insensitive scan of every text costs the walk. */
export const NAMED: {back: number; fwd: number} = {back: 48, fwd: 220}

/** The needles of a name: the prefilter is case-sensitive, names are written in every case. */
export function nameNeedles(...names: string[]): string[] {
  return names.flatMap((n) => [n.toLowerCase(), n.toUpperCase(), n[0]?.toUpperCase() + n.slice(1).toLowerCase()])
}

export const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'

/** Every match of a global regex in `text`, its index moved by `base` (an array: most texts have none). */
function execAll(re: RegExp, text: string, base = 0): RegExpExecArray[] {
  const out: RegExpExecArray[] = []
  re.lastIndex = 0
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0] === '') re.lastIndex++
    m.index += base
    out.push(m)
  }
  return out
}

/** Matches of a `near` rule: windows after each word, matches kept only where the rule says they may start. */
function nearMatches(rule: TokenRule, near: NonNullable<TokenRule['near']>, text: string, words: WordHits): RegExpExecArray[] {
  const out: RegExpExecArray[] = []
  const seen = new Set<number>()
  for (const word of near.words) {
    for (const q of words.get(word) ?? []) {
      const lo = q + word.length
      const hi = q + near.within
      // One character either side, for the regex's look-behind and look-ahead.
      const from = Math.max(0, lo - 1)
      for (const m of execAll(rule.re, text.slice(from, hi + near.span + 1), from)) {
        if (m.index < lo || m.index > hi || seen.has(m.index)) continue
        seen.add(m.index)
        out.push(m)
      }
    }
  }
  // In text order, as a scan of the whole text gives them.
  return out.sort((x, y) => x.index - y.index)
}

/** The rule's matches: over the whole text, or only in windows around its needles or words. */
function matches(rule: TokenRule, text: string, words: WordHits): RegExpExecArray[] {
  if (rule.contains !== undefined && !text.includes(rule.contains)) return []
  if (rule.near) return nearMatches(rule, rule.near, text, words)
  if (!rule.around) return execAll(rule.re, text)
  const {back, fwd} = rule.around
  const out: RegExpExecArray[] = []
  let seen: Set<number> | null = null
  for (const needle of rule.needles) {
    for (let p = text.indexOf(needle); p >= 0; p = text.indexOf(needle, p + 1)) {
      const from = Math.max(0, p - back)
      const window = text.slice(from, p + fwd)
      for (const m of execAll(rule.re, window)) {
        // A match that touches the window's edge may be cut short there; the text decides, not the window.
        if ((m.index === 0 && from > 0) || (m.index + m[0].length === window.length && p + fwd < text.length)) continue
        m.index += from
        if ((seen ??= new Set()).has(m.index)) continue
        seen.add(m.index)
        out.push(m)
      }
    }
  }
  return out
}

/** `words`: the walk's word offsets, which `near` rules need (a detector listing them in `words` gets them). */
export function runRules(
  rules: readonly TokenRule[], text: string, lines: LineIndex, present: ReadonlySet<string>, words: WordHits = new Map(),
): Hit[] {
  const out: Hit[] = []
  for (const rule of rules) {
    if (!rule.unfiltered && !rule.needles.some((n) => present.has(n))) continue
    for (const m of matches(rule, text, words)) {
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
    needles: [...new Set(rules.flatMap((r) => (r.unfiltered ? [] : r.needles)))],
    words: [...new Set(rules.flatMap((r) => r.near?.words ?? []))],
    ...(rules.some((r) => r.unfiltered) && {gate: () => true}),
    detect: (text, ctx) => runRules(rules, text, ctx.lines, ctx.present, ctx.words),
  }
}
