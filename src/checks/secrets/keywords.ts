import type {WordHits} from './detector.js'
import {nameStrength} from './names.js'

/**
 * Where the generic rule starts from, made cheap: it is called for every keyword in every text, and code holds
 * thousands of `key`s and `token`s that are no assignment at all.
 */

/**
 * Where a secret word may sit in a name; the name around it is read by hand from each occurrence, which the walk's
 * one pass over the text finds (Prefilter): a case-insensitive alternation tried at every position cost a quarter
 * of the walk's time.
 */
export const KEYWORDS = ['pass', 'pwd', 'secret', 'token', 'key', 'credential', 'creds', 'auth']

/** The keyword matches a global `/pass|…|auth/gi` regex would give: leftmost first, none inside the one before. */
export function keywordMatches(words: WordHits): Array<[start: number, end: number]> {
  // Each word's offsets are ascending already: merged, not sorted (a text of code has thousands of them).
  const lists: Array<{at: readonly number[]; len: number; i: number}> = []
  let total = 0
  for (const w of KEYWORDS) {
    const at = words.get(w)
    if (at && at.length > 0) {
      lists.push({at, len: w.length, i: 0})
      total += at.length
    }
  }
  const all: Array<[number, number]> = new Array(total)
  for (let k = 0; k < total; k++) {
    let best = lists[0] as (typeof lists)[number]
    let bestAt = Infinity
    for (const l of lists) {
      const v = l.i < l.at.length ? (l.at[l.i] as number) : Infinity
      // Ties (one offset, two words: `pass` in `password` is one word here) keep KEYWORDS' order, as the sort did.
      if (v < bestAt) {
        best = l
        bestAt = v
      }
    }
    all[k] = [bestAt, bestAt + best.len]
    best.i++
  }
  return all
}

/** [A-Za-z0-9_.-], by table: it is tested for every character of every name. */
const NAME_CHARS = new Uint8Array(128)
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-') NAME_CHARS[c.charCodeAt(0)] = 1

export function nameCharAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i)
  return c < 128 && NAME_CHARS[c] === 1
}

/**
 * Whether the name around a keyword could be followed by what assignmentAt accepts: a quote (a quoted name or
 * XML attribute), `]` or `[]`, then an operator, `>`, a quote, or the `v` or line end of a `value` field. Most
 * keyword hits in code are none of these (`key)`, `.token.`, `keys[i]`), and are rejected here by a few character
 * compares, before any slicing. Dockerfiles and .properties files (`ENV NAME value`, `key value`) are not prechecked.
 */
export function followedByOperator(text: string, kwEnd: number): boolean {
  let j = kwEnd
  while (j < text.length && j - kwEnd < 80 && nameCharAt(text, j)) j++
  let c = text.charCodeAt(j)
  if (c === 0x22 || c === 0x27) return true
  if (c === 0x5d) c = text.charCodeAt(++j)
  else if (c === 0x5b && text.charCodeAt(j + 1) === 0x5d) c = text.charCodeAt((j += 2))
  while (c === 0x20 || c === 0x09) c = text.charCodeAt(++j)
  return c === 0x3d || c === 0x3a || c === 0x2c || c === 0x3e || c === 0x3f || c === 0x22 || c === 0x27 ||
    c === 0x76 || c === 0x56 || (c >= 0x0a && c <= 0x0d)
}

/**
 * nameStrength, remembered: code repeats a handful of names (`key`, `token`, `password`) thousands of times, and
 * reading a name word by word costs more than the rest of the judgement. The result is the name's alone.
 */
const STRENGTHS = new Map<string, ReturnType<typeof nameStrength>>()
export function strengthOf(name: string): ReturnType<typeof nameStrength> {
  let v = STRENGTHS.get(name)
  if (v === undefined && !STRENGTHS.has(name)) {
    v = nameStrength(name)
    if (STRENGTHS.size >= 4096) STRENGTHS.clear()
    STRENGTHS.set(name, v)
  }
  return v
}
