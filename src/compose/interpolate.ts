import {badAt, Leaf, MapNode, SeqNode, type Loc, type Node} from './tree.js'

export type Lookup = (name: string) => string | undefined

interface Interpolated {
  value: string
  /** Variables referenced without a default that had no value (they became ""). */
  unset: string[]
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/

/**
 * Compose-spec interpolation (12-interpolation.md): `$VAR`, `${VAR}`, `${VAR:-default}` (unset or empty),
 * `${VAR-default}` (unset), `${VAR:?err}` / `${VAR?err}` (fail), `${VAR:+alt}` / `${VAR+alt}` (replacement when
 * set), `$$` for a literal `$`. Defaults and alternatives may hold further references, as in compose-go.
 */
export function interpolate(s: string, env: Lookup, loc: Loc): Interpolated {
  const unset: string[] = []
  const value = expand(s, env, loc, unset)
  return {value, unset}
}

function expand(s: string, env: Lookup, loc: Loc, unset: string[]): string {
  let out = ''
  let i = 0
  while (i < s.length) {
    const c = s[i]
    if (c !== '$') {
      out += c
      i++
      continue
    }
    const next = s[i + 1]
    if (next === '$') {
      out += '$'
      i += 2
    } else if (next === '{') {
      const end = closing(s, i + 2)
      if (end < 0) throw badAt(loc, `invalid interpolation format: unterminated "\${" in "${s}"`)
      out += braced(s.slice(i + 2, end), env, loc, unset)
      i = end + 1
    } else {
      const m = NAME.exec(s.slice(i + 1))
      if (!m) {
        // A lone `$` (before a space, a digit, the end) stays as written, as compose does.
        out += '$'
        i++
        continue
      }
      const v = env(m[0])
      if (v === undefined) unset.push(m[0])
      out += v ?? ''
      i += 1 + m[0].length
    }
  }
  return out
}

/** Index of the `}` that closes a `${` whose body starts at `from`, counting nested `${...}`. */
function closing(s: string, from: number): number {
  let depth = 1
  for (let i = from; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '{') {
      depth++
      i++
    } else if (s[i] === '}' && --depth === 0) {
      return i
    }
  }
  return -1
}

function braced(body: string, env: Lookup, loc: Loc, unset: string[]): string {
  const m = NAME.exec(body)
  if (!m) throw badAt(loc, `invalid interpolation format: "\${${body}}"`)
  const name = m[0]
  const rest = body.slice(name.length)
  const v = env(name)
  if (rest === '') {
    if (v === undefined) unset.push(name)
    return v ?? ''
  }
  const op = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest)?.[0]
  if (!op) throw badAt(loc, `invalid interpolation format: "\${${body}}"`)
  const arg = rest.slice(op.length)
  const emptyCounts = op.startsWith(':')
  const missing = v === undefined || (emptyCounts && v === '')
  switch (op) {
    case ':-':
    case '-':
      return missing ? expand(arg, env, loc, unset) : (v ?? '')
    case ':?':
    case '?':
      if (missing) throw badAt(loc, `required variable ${name} is missing a value${arg ? `: ${arg}` : ''}`)
      return v ?? ''
    default:
      return missing ? '' : expand(arg, env, loc, unset)
  }
}

/**
 * Interpolate every string value of a parsed file in place (keys are left alone, as compose does). `raw` keeps the
 * text as written, so a `${PASSWORD}` reference is never mistaken for the secret it expands to.
 */
export function interpolateTree(n: Node, env: Lookup): void {
  if (n instanceof Leaf) {
    if (typeof n.value !== 'string' || !n.value.includes('$')) return
    const r = interpolate(n.value, env, n.loc)
    n.raw = n.value
    n.value = r.value
    n.unset = r.unset
  } else if (n instanceof SeqNode) {
    for (const i of n.items) interpolateTree(i, env)
  } else if (n instanceof MapNode) {
    for (const v of n.entries.values()) interpolateTree(v, env)
  }
}

/** What a value says on its own, without anyone's environment: defaults apply, references expand to nothing. */
export function literalText(l: Leaf): string {
  if (l.raw === undefined) return l.value === null ? '' : String(l.value)
  try {
    return interpolate(l.raw, () => undefined, l.loc).value
  } catch {
    // `${VAR:?}` needs a value the file does not hold, so the file itself holds no literal there.
    return ''
  }
}

interface EnvEntry {
  name: string
  value: string
  line: number
}

/**
 * A `.env` / `env_file` file: `KEY=VALUE` lines, `#` comments, an optional `export `, single quotes literal,
 * double quotes with `\n` escapes, an unquoted value ending at ` #`.
 */
export function parseEnvFile(text: string, file: string): EnvEntry[] {
  const out: EnvEntry[] = []
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const body = line.replace(/^export\s+/, '')
    const eq = body.indexOf('=')
    const name = (eq < 0 ? body : body.slice(0, eq)).trim()
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) throw badAt({file, line: i + 1}, `not a KEY=VALUE line`)
    // A bare KEY takes its value from the environment in compose; with none there is nothing to judge.
    if (eq < 0) return
    let value = body.slice(eq + 1).trim()
    const q = value[0]
    if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) {
      value = value.slice(1, -1)
      if (q === '"') value = value.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1')
    } else {
      value = value.replace(/\s+#.*$/, '')
    }
    out.push({name, value, line: i + 1})
  })
  return out
}
