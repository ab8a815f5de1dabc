import {isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode} from 'yaml'
import {ImgvetError} from '../errors.js'

/** Where a value was written: the file as the user named it, and its 1-based line. */
/** Compose's merge tags: `!reset` drops the inherited value, `!override` replaces it instead of merging. */
type MergeTag = '!reset' | '!override'

export interface Loc {
  file: string
  line: number
}

type Scalar = string | number | boolean | null

/**
 * A scalar that remembers where it was written. `raw` is the text before interpolation, so secret detection can
 * tell a literal from a `${VAR}` reference; `unset` names the variables it used that had no value.
 */
export class Leaf {
  tag?: MergeTag
  constructor(
    public value: Scalar,
    public loc: Loc,
    public raw?: string,
    public unset: string[] = [],
  ) {}
}

export class SeqNode {
  tag?: MergeTag
  constructor(
    public items: Node[],
    public loc: Loc,
  ) {}
}

/** A mapping with the line of each key, so a finding can point at `privileged:` rather than at the service. */
export class MapNode {
  readonly entries = new Map<string, Node>()
  readonly keyLoc = new Map<string, Loc>()
  tag?: MergeTag
  constructor(public loc: Loc) {}

  get(key: string): Node | undefined {
    return this.entries.get(key)
  }

  set(key: string, value: Node, loc: Loc): void {
    this.entries.set(key, value)
    this.keyLoc.set(key, loc)
  }

  delete(key: string): void {
    this.entries.delete(key)
    this.keyLoc.delete(key)
  }

  /** Where `key` was written, else where the mapping starts. */
  at(key: string): Loc {
    return this.keyLoc.get(key) ?? this.loc
  }
}

export type Node = Leaf | SeqNode | MapNode

const MAX_DEPTH = 64

/** Parse one compose file into located nodes; any YAML error is `bad-input` at `file:line`. */
export function parseYaml(text: string, file: string): Node {
  const lc = new LineCounter()
  let doc: Document
  try {
    doc = parseDocument(text, {lineCounter: lc, keepSourceTokens: true, uniqueKeys: true, prettyErrors: false})
  } catch (e) {
    throw new ImgvetError('bad-input', `not YAML: ${e instanceof Error ? e.message : String(e)}`, `${file}:1`)
  }
  const err = doc.errors[0]
  if (err) {
    const line = err.linePos?.[0]?.line ?? lc.linePos(err.pos[0]).line
    throw new ImgvetError('bad-input', `${file}:${line}: ${oneLine(err.message)}`, undefined)
  }
  const lineOf = (n: YamlNode | null | undefined): number => (n?.range ? lc.linePos(n.range[0]).line : 1)
  const convert = (n: unknown, depth: number): Node => {
    const out = convertNode(n, depth)
    const tag = (n as {tag?: string} | null)?.tag
    if (tag === '!reset' || tag === '!override') out.tag = tag
    return out
  }
  const convertNode = (n: unknown, depth: number): Node => {
    if (depth > MAX_DEPTH) throw new ImgvetError('bad-input', `${file}:${lineOf(n as YamlNode)}: nested too deeply`)
    if (isAlias(n)) return convert(n.resolve(doc), depth + 1)
    const loc = {file, line: lineOf(n as YamlNode)}
    if (isMap(n)) {
      const out = new MapNode(loc)
      const merges: Node[] = []
      for (const pair of n.items) {
        const keyNode = pair.key as YamlNode | null
        const key = isScalar(keyNode) ? String(keyNode.value) : null
        if (key === null) throw new ImgvetError('bad-input', `${file}:${lineOf(keyNode)}: mapping keys must be scalars`)
        const value =
          pair.value === null ? new Leaf(null, {file, line: lineOf(keyNode)}) : convert(pair.value, depth + 1)
        if (key === '<<') merges.push(value)
        else out.set(key, value, {file, line: lineOf(keyNode)})
      }
      // YAML merge keys (`<<: *defaults`): explicit keys win whatever their order, earlier sources over later ones.
      for (const m of merges.flatMap((v) => (v instanceof SeqNode ? v.items : [v]))) {
        if (!(m instanceof MapNode))
          throw new ImgvetError('bad-input', `${file}:${m.loc.line}: "<<" must merge a mapping`)
        for (const [k, v] of m.entries) if (!out.entries.has(k)) out.set(k, v, m.at(k))
      }
      return out
    }
    if (isSeq(n))
      return new SeqNode(
        n.items.map((i) => convert(i, depth + 1)),
        loc,
      )
    if (isScalar(n)) {
      const v = n.value
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
        return new Leaf(v, loc)
      return new Leaf(String(v), loc)
    }
    return new Leaf(null, loc)
  }
  return convert(doc.contents, 0)
}

function oneLine(s: string): string {
  return (
    s
      .split('\n')[0]
      ?.replace(/\s+/g, ' ')
      .replace(/ at line \d+, column \d+:?$/, '')
      .trim() ?? s
  )
}

/** The node as plain data (what `docker-compose config` would print), for comparisons and JSON. */
export function plain(n: Node | undefined): unknown {
  if (n === undefined) return undefined
  if (n instanceof Leaf) return n.value
  if (n instanceof SeqNode) return n.items.map(plain)
  return Object.fromEntries([...n.entries].map(([k, v]) => [k, plain(v)]))
}

/** A scalar as text (numbers and booleans as YAML wrote them), or undefined for anything else. */
export function text(n: Node | undefined): string | undefined {
  if (!(n instanceof Leaf) || n.value === null) return undefined
  return String(n.value)
}

export function isTrue(n: Node | undefined): boolean {
  return n instanceof Leaf && (n.value === true || n.value === 'true')
}

/** Items of a sequence; a lone scalar counts as a one-item list (`env_file: .env`). */
export function items(n: Node | undefined): Node[] {
  if (n === undefined) return []
  if (n instanceof SeqNode) return n.items
  if (n instanceof Leaf && n.value === null) return []
  return [n]
}

function where(loc: Loc): string {
  return `${loc.file}:${loc.line}`
}

/** A coded bad-input error whose one line starts with `file:line:`. */
export function badAt(loc: Loc, what: string): ImgvetError {
  return new ImgvetError('bad-input', `${where(loc)}: ${what}`)
}
