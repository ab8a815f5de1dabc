import {LineCounter, parseDocument, isMap, isSeq, isScalar, type Document, type Node} from 'yaml'
import type {ErrorObject} from 'ajv'
import {FORMAT_MESSAGES} from './schema.js'
import type {PolicyIssue} from './types.js'

/**
 * Maps a JSON-pointer-like path (ajv's instancePath, or our own semantic checks' paths) back to the line of the
 * YAML file it came from, so every policy error can say `file:line: key: message`.
 */
export interface ParsedYaml {
  doc: Document
  lines: LineCounter
  data: unknown
  issues: PolicyIssue[]
}

/** Anchors and aliases are expanded by toJS; this bounds "billion laughs" documents. */
const MAX_ALIAS_COUNT = 100

export function parseYaml(text: string, file: string): ParsedYaml {
  const lines = new LineCounter()
  const doc = parseDocument(text, {lineCounter: lines, prettyErrors: false, uniqueKeys: true})
  const issues: PolicyIssue[] = doc.errors.map((e) => ({
    file,
    line: lines.linePos(e.pos[0]).line,
    key: '(yaml)',
    message: e.message.split('\n')[0] ?? e.code,
  }))
  let data: unknown = null
  if (issues.length === 0) {
    try {
      data = doc.toJS({maxAliasCount: MAX_ALIAS_COUNT})
    } catch (e) {
      issues.push({file, line: 1, key: '(yaml)', message: e instanceof Error ? e.message : String(e)})
    }
  }
  return {doc, lines, data, issues}
}

export type PathSeg = string | number

function pointerToSegs(pointer: string): PathSeg[] {
  if (!pointer) return []
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s))
}

export function keyPath(segs: readonly PathSeg[]): string {
  let out = ''
  for (const s of segs) out += typeof s === 'number' ? `[${s}]` : out ? `.${s}` : s
  return out || '(root)'
}

/**
 * The line of the node at `segs`; with `keyOf` the line of that key inside the node (for unknown keys). Falls back
 * to the deepest ancestor that exists, so a missing key points at the object that lacks it.
 */
export function lineOf(parsed: Pick<ParsedYaml, 'doc' | 'lines'>, segs: readonly PathSeg[], keyOf?: string): number {
  let node: unknown = parsed.doc.contents
  let best = rangeStart(node)
  for (const seg of segs) {
    const next = child(node, String(seg))
    if (!next) break
    best = rangeStart(next.value) ?? rangeStart(next.key) ?? best
    node = next.value
  }
  if (keyOf !== undefined) {
    const k = child(node, keyOf)
    best = rangeStart(k?.key) ?? best
  }
  return best === undefined ? 1 : parsed.lines.linePos(best).line
}

function child(node: unknown, seg: string): {key?: unknown; value: unknown} | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === seg)
    return pair ? {key: pair.key, value: pair.value ?? pair.key} : undefined
  }
  if (isSeq(node)) {
    const item = /^\d+$/.test(seg) ? node.items[Number(seg)] : undefined
    return item === undefined ? undefined : {value: item}
  }
  return undefined
}

function rangeStart(node: unknown): number | undefined {
  const r = (node as Node | null | undefined)?.range
  return Array.isArray(r) && typeof r[0] === 'number' ? r[0] : undefined
}

/** One issue per ajv error, worded for people and pointed at the line. */
export function ajvIssue(parsed: Pick<ParsedYaml, 'doc' | 'lines'>, file: string, e: ErrorObject): PolicyIssue {
  const segs = pointerToSegs(e.instancePath)
  const p = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = String(p.additionalProperty)
      const allowed = Object.keys((e.parentSchema?.properties as Record<string, unknown> | undefined) ?? {})
      const hint = closest(extra, allowed)
      return {
        file,
        line: lineOf(parsed, segs, extra),
        key: keyPath([...segs, extra]),
        message: `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}; allowed: ${allowed.join(', ')}`,
      }
    }
    case 'required':
      return {file, line: lineOf(parsed, segs), key: keyPath([...segs, String(p.missingProperty)]), message: 'is required'}
    case 'type': {
      const t = Array.isArray(p.type) ? (p.type as string[]).join(' or ') : String(p.type)
      return {file, line: lineOf(parsed, segs), key: keyPath(segs), message: `must be ${t.replace('array', 'a list')}, got ${describe(e.data)}`}
    }
    case 'enum':
      return {file, line: lineOf(parsed, segs), key: keyPath(segs), message: `must be one of ${(p.allowedValues as unknown[]).join(', ')}, got ${describe(e.data)}`}
    case 'const':
      return {file, line: lineOf(parsed, segs), key: keyPath(segs), message: `must be ${JSON.stringify(p.allowedValue)}, got ${describe(e.data)}`}
    case 'format': {
      const f = String(p.format)
      return {file, line: lineOf(parsed, segs), key: keyPath(segs), message: `${FORMAT_MESSAGES[f] ?? `must match format ${f}`}, got ${describe(e.data)}`}
    }
    case 'pattern':
      return {file, line: lineOf(parsed, segs), key: keyPath(segs), message: `must match ${String(p.pattern)}, got ${describe(e.data)}`}
    default:
      return {file, line: lineOf(parsed, segs), key: keyPath(segs), message: e.message ?? e.keyword}
  }
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  const s = JSON.stringify(v)
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}

/** Suggest a known key for a misspelt one (case slips and one- or two-letter typos). */
export function closest(word: string, options: string[]): string | undefined {
  let best: string | undefined
  let bestD = 3
  for (const o of options) {
    const d = o.toLowerCase() === word.toLowerCase() ? 0 : distance(word, o)
    if (d < bestD) {
      best = o
      bestD = d
    }
  }
  return best
}

function distance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[b.length] ?? Math.max(a.length, b.length)
}
