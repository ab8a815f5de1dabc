import {readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {asImgvetError, ImgvetError} from '../errors.js'

/**
 * `.dockerignore` as BuildKit applies it (moby/patternmatcher behind tonistiigi/fsutil's walk), not as .gitignore:
 * patterns are anchored at the context root, `*` `?` `[...]` stay within one path segment, `**` spans any number,
 * a pattern that matches a directory matches everything under it, and the last matching line decides, so a `!`
 * exception can take a file back even from inside an excluded directory. Ported rather than approximated because
 * the check claims "this file would be in the build"; a looser matcher would either miss leaks or invent them.
 */

export interface IgnorePattern {
  /** As cleaned by the reader (leading `/` and `./` gone, no `!`). */
  text: string
  exception: boolean
  /** 1-based line in the ignore file; 0 for patterns handed in directly. */
  line: number
  test(path: string): boolean
}

/** Per-pattern results for a directory, handed to its children as fsutil does (MatchesUsingParentResults). */
export interface MatchInfo {
  excluded: boolean
  /** The pattern whose match decided the outcome; an exception here means "excluded, then taken back". */
  decidedBy?: IgnorePattern
  parentMatched: boolean[]
}

/** Go's filepath.Clean on a slash path: no `.`, no empty segments, `..` folded, no trailing slash. */
export function goClean(p: string): string {
  if (p === '') return '.'
  const rooted = p.startsWith('/')
  const out: string[] = []
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop()
      else if (!rooted) out.push('..')
    } else {
      out.push(seg)
    }
  }
  const s = out.join('/')
  return rooted ? `/${s}` : s || '.'
}

const CLASS_SPECIAL = new Set(['\\', ']', '[', '^', '-'])
const REGEXP_SYNTAX = /[\\^$.*+?()[\]{}|/]/

function classChar(c: string): string {
  return CLASS_SPECIAL.has(c) ? `\\${c}` : c
}

/**
 * A `[...]` class starting after the `[` at chars[pos], validated the way Go's filepath.Match validates it (a
 * pattern Go rejects makes docker refuse the build, so it must not silently match here). Returns the JS class and
 * where the pattern continues.
 */
function parseClass(chars: string[], pos: number): {re: string; next: number} | undefined {
  let i = pos
  let re = '['
  if (chars[i] === '^') {
    re += '^'
    i++
  }
  const esc = (): string | undefined => {
    const c = chars[i]
    if (c === undefined || c === '-' || c === ']') return undefined
    i++
    if (c !== '\\') return c
    const e = chars[i]
    if (e === undefined) return undefined
    i++
    return e
  }
  let n = 0
  for (;;) {
    if (chars[i] === ']' && n > 0) return {re: `${re}]`, next: i + 1}
    const lo = esc()
    if (lo === undefined) return undefined
    if (chars[i] === '-') {
      i++
      const hi = esc()
      if (hi === undefined || (hi.codePointAt(0) ?? 0) < (lo.codePointAt(0) ?? 0)) return undefined
      re += `${classChar(lo)}-${classChar(hi)}`
    } else {
      re += classChar(lo)
    }
    n++
  }
}

/**
 * patternmatcher's compile: plain text is an exact match, `dir/**` a prefix, `**\/name` a suffix, anything else a
 * regular expression in which `*` and `?` never cross a `/` and `**` (with the `/` after it) crosses any number.
 */
function compile(text: string, where: string): (path: string) => boolean {
  const chars = Array.from(text)
  let re = '^'
  let kind: 'exact' | 'prefix' | 'suffix' | 'regexp' = 'exact'
  let pos = 0
  for (let iter = 0; pos < chars.length; iter++) {
    const ch = chars[pos++] as string
    if (ch === '*') {
      if (chars[pos] === '*') {
        pos++
        if (chars[pos] === '/') pos++
        if (pos >= chars.length) {
          if (kind === 'exact') kind = 'prefix'
          else {
            re += '.*'
            kind = 'regexp'
          }
        } else {
          re += '(.*/)?'
          kind = 'regexp'
        }
        if (iter === 0) kind = 'suffix'
      } else {
        re += '[^/]*'
        kind = 'regexp'
      }
    } else if (ch === '?') {
      re += '[^/]'
      kind = 'regexp'
    } else if (ch === '\\') {
      const next = chars[pos++]
      if (next === undefined) throw new ImgvetError('bad-input', `syntax error in pattern "${text}": trailing backslash`, where)
      re += REGEXP_SYNTAX.test(next) ? `\\${next}` : next
      kind = 'regexp'
    } else if (ch === '[') {
      const cls = parseClass(chars, pos)
      if (!cls) throw new ImgvetError('bad-input', `syntax error in pattern "${text}": bad character class`, where)
      re += cls.re
      pos = cls.next
      kind = 'regexp'
    } else if (ch === '^') {
      // Left unescaped as patternmatcher does: literal in a plain pattern, an anchor (so no match) in a wildcard one.
      re += '^'
    } else {
      re += REGEXP_SYNTAX.test(ch) ? `\\${ch}` : ch
      if (ch === ']') kind = 'regexp'
    }
  }
  if (kind === 'exact') return (p) => p === text
  if (kind === 'prefix') {
    const prefix = text.slice(0, -2)
    return (p) => p.startsWith(prefix)
  }
  if (kind === 'suffix') {
    const suffix = text.slice(2)
    // `**/foo` also matches `foo` at the root.
    return (p) => p.endsWith(suffix) || (suffix.startsWith('/') && p === suffix.slice(1))
  }
  const rx = new RegExp(`${re}$`, 'u')
  return (p) => rx.test(p)
}

/** One pattern as patternmatcher.New takes it: trimmed, cleaned, `!` split off, syntax checked. */
export function compilePattern(raw: string, line = 0, where = '.dockerignore'): IgnorePattern | undefined {
  let p = raw.trim()
  if (p === '') return undefined
  p = goClean(p)
  let exception = false
  if (p.startsWith('!')) {
    if (p.length === 1) throw new ImgvetError('bad-input', 'illegal exclusion pattern: "!"', where)
    exception = true
    p = p.slice(1)
  }
  return {text: p, exception, line, test: compile(p, where)}
}

/**
 * The ignore file's lines as the docker CLI and BuildKit read them (ignorefile.ReadAll): a UTF-8 BOM dropped, a
 * line starting with `#` in column 1 is a comment, blank lines skipped, `!` split off and trimmed, each pattern
 * cleaned and a leading `/` dropped, since the context root is both `/` and `.`.
 */
export function parseIgnoreFile(text: string, file = '.dockerignore'): IgnorePattern[] {
  const out: IgnorePattern[] = []
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  lines.forEach((line, i) => {
    if (line.startsWith('#')) return
    let p = line.trim()
    if (p === '') return
    const invert = p.startsWith('!')
    if (invert) p = p.slice(1).trim()
    if (p !== '') {
      p = goClean(p)
      if (p.length > 1 && p.startsWith('/')) p = p.slice(1)
    }
    const compiled = compilePattern(invert ? `!${p}` : p, i + 1, `${file}:${i + 1}`)
    if (compiled) out.push(compiled)
  })
  return out
}

export class IgnoreMatcher {
  readonly patterns: readonly IgnorePattern[]

  constructor(patterns: readonly IgnorePattern[]) {
    this.patterns = patterns
  }

  /**
   * One path (slash-separated, relative to the context root) given its parent directory's result; `parent`
   * undefined means "no parent information" and every ancestor is tried, which is what the root's children get.
   */
  match(path: string, parent?: MatchInfo): MatchInfo {
    let excluded = false
    let decidedBy: IgnorePattern | undefined
    const parentMatched = new Array<boolean>(this.patterns.length).fill(false)
    this.patterns.forEach((p, i) => {
      let m = parent?.parentMatched[i] ?? false
      if (!m) {
        // Skipped patterns cannot change the outcome at this point, so (like patternmatcher) they are not recorded.
        if (p.exception !== excluded) return
        m = p.test(path)
        if (!m && parent === undefined) {
          const dirs = path.split('/').slice(0, -1)
          for (let j = 1; j <= dirs.length && !m; j++) m = p.test(dirs.slice(0, j).join('/'))
        }
      }
      parentMatched[i] = m
      if (m) {
        excluded = !p.exception
        decidedBy = p
      }
    })
    return {excluded, decidedBy, parentMatched}
  }

  /**
   * Whether nothing under an excluded directory can be taken back by a `!` line, so the walk may skip it (as fsutil
   * does for node_modules and the like). Conservative: an exception whose fixed leading segments share a branch
   * with the directory, or that starts with a wildcard, keeps it open.
   */
  canPrune(dir: string): boolean {
    for (const p of this.patterns) {
      if (!p.exception) continue
      const fixed: string[] = []
      for (const seg of p.text.split('/')) {
        if (hasGlobMeta(seg)) break
        fixed.push(seg)
      }
      const lit = fixed.join('/')
      if (lit === '' || lit === dir || dir.startsWith(`${lit}/`) || lit.startsWith(`${dir}/`)) return false
    }
    return true
  }

  /** Whether a path is left out of the context, evaluated from the root down as the walk does. */
  excludes(path: string): boolean {
    return this.explain(path).excluded
  }

  explain(path: string): MatchInfo {
    const segs = goClean(path).split('/')
    let info: MatchInfo | undefined
    for (let i = 1; i <= segs.length; i++) info = this.match(segs.slice(0, i).join('/'), info)
    return info ?? {excluded: false, parentMatched: []}
  }
}

interface LoadedIgnore {
  /** The file that applies, or null when the context has none. */
  file: string | null
  matcher: IgnoreMatcher
}

const MAX_IGNORE_BYTES = 1024 * 1024

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile()
  } catch {
    return false
  }
}

/**
 * BuildKit reads `<Dockerfile>.dockerignore` next to the Dockerfile when it exists and the context's
 * `.dockerignore` otherwise; the two are never merged.
 */
export async function loadDockerignore(context: string, dockerfile?: string): Promise<LoadedIgnore> {
  const candidates = [...(dockerfile ? [`${dockerfile}.dockerignore`] : []), join(context, '.dockerignore')]
  for (const file of candidates) {
    if (!(await isFile(file))) continue
    let text: string
    try {
      const st = await stat(file)
      if (st.size > MAX_IGNORE_BYTES) throw new ImgvetError('bad-input', 'ignore file is larger than 1 MiB', file)
      text = await readFile(file, 'utf8')
    } catch (e) {
      throw asImgvetError(e, 'bad-input', file)
    }
    return {file, matcher: new IgnoreMatcher(parseIgnoreFile(text, file))}
  }
  return {file: null, matcher: new IgnoreMatcher([])}
}

/** Whether a COPY source segment is a wildcard (filepath.Glob's hasMeta); otherwise it names one entry. */
export function hasGlobMeta(segment: string): boolean {
  return /[*?[\\]/.test(segment)
}

/**
 * One path segment as Go's filepath.Match sees it, for COPY/ADD sources: `*` and `?` within the name, `[...]`
 * classes, `\` escapes. Unlike ignore patterns, `**` is nothing special here.
 */
export function segmentGlob(segment: string, where: string): (name: string) => boolean {
  const chars = Array.from(segment)
  let re = '^'
  for (let pos = 0; pos < chars.length;) {
    const ch = chars[pos++] as string
    if (ch === '*') re += '[^/]*'
    else if (ch === '?') re += '[^/]'
    else if (ch === '[') {
      const cls = parseClass(chars, pos)
      if (!cls) throw new ImgvetError('bad-input', `syntax error in source pattern "${segment}": bad character class`, where)
      re += cls.re
      pos = cls.next
    } else {
      const lit = ch === '\\' ? chars[pos++] : ch
      if (lit === undefined) throw new ImgvetError('bad-input', `syntax error in source pattern "${segment}": trailing backslash`, where)
      re += REGEXP_SYNTAX.test(lit) ? `\\${lit}` : lit
    }
  }
  const rx = new RegExp(`${re}$`, 'u')
  return (name) => rx.test(name)
}
