import {plain, Leaf, MapNode, SeqNode, text, type Node} from './tree.js'

/** Sequences an override replaces rather than extends (compose-spec 13-merge.md: command, entrypoint, test). */
const REPLACE = new Set(['command', 'entrypoint', 'test', 'dns'])

/**
 * Merge `over` onto `base` as Compose merges an override file or an `extends` parent: mappings key by key,
 * `volumes` of a service by mount target, other sequences as a union, scalars replaced. `key` is the name the
 * value sits under, which decides how its sequences merge.
 */
export function mergeNodes(base: Node | undefined, over: Node, key = ''): Node {
  if (base === undefined) return over
  if (base instanceof MapNode && over instanceof MapNode) {
    const out = new MapNode(base.loc)
    for (const [k, v] of base.entries) out.set(k, v, base.at(k))
    for (const [k, v] of over.entries) {
      const tag = v.tag
      if (tag === '!reset') out.delete(k)
      else out.set(k, tag === '!override' ? v : mergeNodes(base.get(k), v, k), over.at(k))
    }
    return out
  }
  if (base instanceof SeqNode && over instanceof SeqNode && !REPLACE.has(key)) {
    if (key === 'volumes') return byTarget(base, over)
    const seen = new Set(over.items.map(identity))
    return new SeqNode([...base.items.filter((i) => !seen.has(identity(i))), ...over.items], over.loc)
  }
  return over
}

function identity(n: Node): string {
  return JSON.stringify(plain(n))
}

/** A mount target is one volume: the override's entry for `/data` replaces the base's. */
function byTarget(base: SeqNode, over: SeqNode): SeqNode {
  const target = (n: Node): string => {
    if (n instanceof MapNode) return text(n.get('target')) ?? identity(n)
    const s = text(n) ?? ''
    const parts = s.split(':')
    return parts.length >= 2 ? (parts[1] ?? s) : s
  }
  const replaced = new Set(over.items.map(target))
  return new SeqNode([...base.items.filter((i) => !replaced.has(target(i))), ...over.items], over.loc)
}

/**
 * `KEY=VALUE` lists and mappings are the same thing to Compose (environment, labels, build args, ...); turn lists
 * into mappings so overrides merge key by key. A bare `KEY` in `environment` takes the caller's value, or is
 * dropped when it has none, as compose does.
 */
export function listToMap(n: Node | undefined, lookup?: (name: string) => string | undefined): MapNode | undefined {
  if (n === undefined) return undefined
  if (n instanceof MapNode) return n
  if (!(n instanceof SeqNode)) return undefined
  const out = new MapNode(n.loc)
  out.tag = n.tag
  for (const item of n.items) {
    const s = text(item)
    if (s === undefined || !(item instanceof Leaf)) continue
    const eq = s.indexOf('=')
    if (eq < 0) {
      const v = lookup ? lookup(s) : ''
      // The value is the caller's, not the file's: as written it is a reference, like `${KEY}`.
      if (v !== undefined) out.set(s, new Leaf(v, item.loc, `\${${s}}`), item.loc)
      continue
    }
    const rawEq = item.raw?.indexOf('=') ?? -1
    const raw = item.raw !== undefined && rawEq >= 0 ? item.raw.slice(rawEq + 1) : undefined
    out.set(s.slice(0, eq), new Leaf(s.slice(eq + 1), item.loc, raw, item.unset), item.loc)
  }
  return out
}

/** `depends_on: [db]` is `depends_on: {db: {condition: service_started}}`. */
export function dependsOnMap(n: Node | undefined): MapNode | undefined {
  if (!(n instanceof SeqNode)) return n instanceof MapNode ? n : undefined
  const out = new MapNode(n.loc)
  out.tag = n.tag
  for (const item of n.items) {
    const name = text(item)
    if (name === undefined || !(item instanceof Leaf)) continue
    const cond = new MapNode(item.loc)
    cond.set('condition', new Leaf('service_started', item.loc), item.loc)
    out.set(name, cond, item.loc)
  }
  return out
}
