import {isMap, isScalar, type Pair} from 'yaml'
import {ImgvetError} from '../errors.js'
import {closest, parseYaml} from '../policy/lines.js'
import {envName} from './sources.js'

/** What the settings layer needs to know of one flag; the CLI copies it from its oclif definitions. */
export interface FlagSpec {
  name: string
  type: 'boolean' | 'option'
  char?: string
  multiple?: boolean
  allowNo?: boolean
  options?: readonly string[]
  exclusive?: readonly string[]
}

export interface SettingsInput {
  /** The flags of the command being run. */
  flags: readonly FlagSpec[]
  /** Command id with spaces (`registry scan`) and every command's flag names, to tell a typo from another's key. */
  commandId: string
  commands: ReadonlyMap<string, readonly string[]>
  /** The command line after the command id. */
  argv: readonly string[]
  env: NodeJS.ProcessEnv
  file?: {path: string; text: string}
}

/** Keys that only make sense on the command line. */
const NOT_SETTINGS = new Set(['config', 'help', 'version'])


/**
 * Settings from the environment (IMGVET_<FLAG>) and a config file as command-line tokens to put before the user's:
 * oclif then parses and validates one command line, and precedence (flags > env > file > defaults) is decided here
 * by leaving out whatever a stronger source already set, including flags exclusive with one the user gave.
 */
export function settingsArgv(input: SettingsInput): string[] {
  const byName = new Map(input.flags.map((f) => [f.name, f]))
  const given = givenOnCommandLine(input.argv, input.flags)
  const taken = (f: FlagSpec) => [...given].some((g) => g === f.name || f.exclusive?.includes(g) || byName.get(g)?.exclusive?.includes(f.name))
  const out: string[] = []
  const apply = (values: Map<string, {value: unknown; where: string}>) => {
    const added: string[] = []
    for (const [name, {value, where}] of values) {
      const flag = byName.get(name)
      if (!flag || taken(flag)) continue
      out.push(...tokens(flag, value, where))
      added.push(name)
    }
    for (const name of added) given.add(name)
  }
  apply(fromEnv(input.flags, input.env))
  if (input.file) apply(fromFile(input.file, input.commandId, input.commands))
  return out
}

function givenOnCommandLine(argv: readonly string[], flags: readonly FlagSpec[]): Set<string> {
  const given = new Set<string>()
  for (const a of argv) {
    if (a === '--') break
    const long = /^--(?:no-)?([^=]+)/.exec(a)
    if (long) {
      const name = long[1] ?? ''
      given.add(flags.some((f) => f.name === name) ? name : a.slice(2).split('=')[0] ?? '')
      continue
    }
    const short = /^-([^-])/.exec(a)
    const flag = short && flags.find((f) => f.char === short[1])
    if (flag) given.add(flag.name)
  }
  return given
}

function fromEnv(flags: readonly FlagSpec[], env: NodeJS.ProcessEnv): Map<string, {value: unknown; where: string}> {
  const out = new Map<string, {value: unknown; where: string}>()
  for (const f of flags) {
    if (NOT_SETTINGS.has(f.name)) continue
    const value = env[envName(f.name)]
    // An empty variable is how CI templates leave a setting unset.
    if (value === undefined || value === '') continue
    out.set(f.name, {value: f.multiple ? value.split(',').map((v) => v.trim()).filter(Boolean) : value, where: envName(f.name)})
  }
  return out
}

function tokens(flag: FlagSpec, value: unknown, where: string): string[] {
  if (flag.type === 'boolean') {
    const on = asBoolean(value)
    if (on === undefined) throw new ImgvetError('bad-input', `${flag.name}: expected true or false, got ${show(value)}`, where)
    if (on) return [`--${flag.name}`]
    return flag.allowNo ? [`--no-${flag.name}`] : []
  }
  const list = Array.isArray(value) ? value : [value]
  const values = list.map((v) => {
    if (typeof v !== 'string' && typeof v !== 'number') throw new ImgvetError('bad-input', `${flag.name}: expected a value, got ${show(v)}`, where)
    const s = String(v)
    if (flag.options && !flag.options.includes(s)) {
      throw new ImgvetError('bad-input', `${flag.name}: expected one of ${flag.options.join(', ')}, got ${show(s)}`, where)
    }
    return s
  })
  if (values.length === 0) return []
  // A list for a single-valued flag is its comma form (severity: [HIGH, CRITICAL] is --severity HIGH,CRITICAL).
  // One token each (`--name=value`): a value starting with "-" stays a value.
  return flag.multiple ? values.map((v) => `--${flag.name}=${v}`) : [`--${flag.name}=${values.join(',')}`]
}

function asBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v
  if (typeof v !== 'string') return undefined
  const s = v.toLowerCase()
  if (['1', 'true', 'yes', 'y'].includes(s)) return true
  if (['0', 'false', 'no', 'n'].includes(s)) return false
  return undefined
}

function show(v: unknown): string {
  if (v === null || v === undefined) return 'nothing'
  if (typeof v === 'object') return Array.isArray(v) ? 'a list' : 'a mapping'
  const s = JSON.stringify(v)
  return s.length > 40 ? `${s.slice(0, 37)}...` : s
}

/**
 * imgvet.yaml: top-level keys are flag names and apply to every command that has the flag; a key that is a command
 * (`scan:`, `registry scan:`) holds settings for that command only, which win over the top-level ones.
 */
function fromFile(file: {path: string; text: string}, commandId: string, commands: ReadonlyMap<string, readonly string[]>):
  Map<string, {value: unknown; where: string}> {
  const parsed = parseYaml(file.text, file.path)
  const first = parsed.issues[0]
  if (first) throw new ImgvetError('bad-input', `config file is not valid YAML: ${first.message}`, `${first.file}:${first.line}`)
  const root = parsed.doc.contents
  if (root === null || (isScalar(root) && root.value === null)) return new Map()
  const at = (node: {range?: unknown} | null | undefined) => {
    const r = node?.range
    return `${file.path}:${Array.isArray(r) && typeof r[0] === 'number' ? parsed.lines.linePos(r[0]).line : 1}`
  }
  if (!isMap(root)) throw new ImgvetError('bad-input', 'config file must be a mapping of flag names to values', at(root))
  // Values come from the bounded toJS result (aliases expanded once, within limits), lines from the nodes.
  const data = parsed.data as Record<string, unknown>
  const dataOf = (k: string) => data[k] as Record<string, unknown> | undefined
  const allFlags = [...new Set([...commands.values()].flat())].filter((n) => !NOT_SETTINGS.has(n))
  const general = new Map<string, {value: unknown; where: string}>()
  const specific = new Map<string, {value: unknown; where: string}>()
  const check = (pair: Pair, known: readonly string[], scope: string) => {
    const key = isScalar(pair.key) ? String(pair.key.value) : ''
    if (known.includes(key)) return key
    const hint = closest(key, [...known])
    const why = NOT_SETTINGS.has(key) ? `"${key}" can only be given on the command line` : `unknown key "${key}"${scope}`
    throw new ImgvetError('bad-input', `${why}${hint && !NOT_SETTINGS.has(key) ? ` (did you mean "${hint}"?)` : ''}`, at(pair.key as {range?: unknown}))
  }
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : ''
    const section = commands.get(key)
    if (section && !allFlags.includes(key)) {
      if (!isMap(pair.value)) throw new ImgvetError('bad-input', `"${key}" must be a mapping of ${key}'s flags`, at(pair.key as {range?: unknown}))
      for (const inner of pair.value.items) {
        const name = check(inner, section.filter((n) => !NOT_SETTINGS.has(n)), ` for ${key}`)
        if (key === commandId) specific.set(name, {value: dataOf(key)?.[name], where: at(inner.key as {range?: unknown})})
      }
      continue
    }
    const name = check(pair, [...allFlags, ...commands.keys()], '')
    general.set(name, {value: data[name], where: at(pair.key as {range?: unknown})})
  }
  return new Map([...general, ...specific])
}
