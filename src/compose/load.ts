import {existsSync, readFileSync, statSync} from 'node:fs'
import {dirname, isAbsolute, relative, resolve} from 'node:path'
import {ImgvetError} from '../errors.js'
import {interpolateTree, parseEnvFile, type Lookup} from './interpolate.js'
import {dependsOnMap, listToMap, mergeNodes} from './merge.js'
import {badAt, isTrue, items, Leaf, MapNode, parseYaml, SeqNode, text, type Loc, type Node} from './tree.js'

export interface LoadOptions {
  /** Replaces the `.env` beside the first file as the source of interpolation variables. */
  envFile?: string
  /** Only services without profiles or with one of these; all services when empty. */
  profiles?: string[]
  /** The process environment; it wins over the `.env` file, as in compose. */
  env?: Record<string, string | undefined>
  cwd?: string
}

export interface ComposeService {
  name: string
  /** The service after overrides, `extends` and `include`, interpolated, relative paths made absolute. */
  node: MapNode
  loc: Loc
  /** `env_file` entries (located in their env file) under `environment` ones, as compose merges them. */
  environment: Map<string, Leaf>
}

export interface ComposeProject {
  files: string[]
  projectDir: string
  services: ComposeService[]
  /** Top-level `volumes`, for named volumes whose driver options bind a host path. */
  volumes: MapNode | undefined
  /** Services left out by --profile, for the report. */
  skipped: string[]
  remoteIncludes: Array<{url: string; loc: Loc}>
}

const MAX_FILE_BYTES = 8 * 1024 * 1024
const URL_RE = /^(https?|git|ssh|oci):\/\/|^git@/

interface Ctx {
  lookup: Lookup
  cwd: string
  /** Absolute paths being loaded, to refuse `extends`/`include` cycles. */
  stack: string[]
  remoteIncludes: Array<{url: string; loc: Loc}>
}

export function loadProject(files: readonly string[], opts: LoadOptions = {}): ComposeProject {
  if (files.length === 0) throw new ImgvetError('usage', 'name at least one compose file')
  const cwd = opts.cwd ?? process.cwd()
  const first = resolve(cwd, files[0] ?? '')
  const projectDir = dirname(first)
  const dotenv = opts.envFile ? resolve(cwd, opts.envFile) : resolve(projectDir, '.env')
  if (opts.envFile && !existsSync(dotenv))
    throw new ImgvetError('bad-input', `--env-file ${opts.envFile} does not exist`)
  const fileVars = new Map<string, string>()
  if (existsSync(dotenv) && statSync(dotenv).isFile()) {
    for (const e of parseEnvFile(readText(dotenv, display(dotenv, cwd)), display(dotenv, cwd)))
      fileVars.set(e.name, e.value)
  }
  const env = opts.env ?? process.env
  const lookup: Lookup = (name) => env[name] ?? fileVars.get(name)
  const ctx: Ctx = {lookup, cwd, stack: [], remoteIncludes: []}
  let merged: MapNode | undefined
  for (const f of files) {
    // Override files resolve relative paths against the first file's directory (the project directory).
    const doc = loadFile(resolve(cwd, f), f, projectDir, ctx)
    merged = merged ? (mergeNodes(merged, doc) as MapNode) : doc
  }
  const top = merged as MapNode
  const servicesNode = top.get('services')
  if (servicesNode !== undefined && !(servicesNode instanceof MapNode))
    throw badAt(top.at('services'), '"services" must be a mapping')
  const wanted = opts.profiles ?? []
  const services: ComposeService[] = []
  const skipped: string[] = []
  for (const [name, node] of servicesNode?.entries ?? []) {
    if (!(node instanceof MapNode))
      throw badAt(servicesNode?.at(name) ?? top.loc, `service "${name}" must be a mapping`)
    const profiles = items(node.get('profiles'))
      .map(text)
      .filter((p): p is string => p !== undefined)
    if (wanted.length > 0 && profiles.length > 0 && !profiles.some((p) => wanted.includes(p))) {
      skipped.push(name)
      continue
    }
    services.push({name, node, loc: servicesNode?.at(name) ?? node.loc, environment: mergedEnvironment(node, cwd)})
  }
  return {
    files: [...files],
    projectDir,
    services,
    volumes: asMap(top.get('volumes')),
    skipped,
    remoteIncludes: ctx.remoteIncludes,
  }
}

function asMap(n: Node | undefined): MapNode | undefined {
  return n instanceof MapNode ? n : undefined
}

function display(abs: string, cwd: string): string {
  const r = relative(cwd, abs)
  return r === '' ? '.' : r.startsWith('..') || isAbsolute(r) ? abs : r
}

function readText(abs: string, shown: string): string {
  let size: number
  try {
    const st = statSync(abs)
    if (!st.isFile()) throw new ImgvetError('bad-input', `${shown}: not a regular file`)
    size = st.size
  } catch (e) {
    if (e instanceof ImgvetError) throw e
    throw new ImgvetError('bad-input', `${shown}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  if (size > MAX_FILE_BYTES) throw new ImgvetError('bad-input', `${shown}: larger than ${MAX_FILE_BYTES} bytes`)
  return readFileSync(abs, 'utf8')
}

/** One file: parsed, interpolated, normalised, its `include`s and `extends` resolved. */
function loadFile(abs: string, shown: string, baseDir: string, ctx: Ctx): MapNode {
  if (ctx.stack.includes(abs))
    throw new ImgvetError(
      'bad-input',
      `${shown}: includes or extends itself (${ctx.stack.map((s) => display(s, ctx.cwd)).join(' -> ')})`,
    )
  const root = parseYaml(readText(abs, shown), shown)
  if (!(root instanceof MapNode)) throw badAt(root.loc, 'a compose file must be a mapping')
  interpolateTree(root, ctx.lookup)
  const services = asMap(root.get('services'))
  for (const [name, svc] of services?.entries ?? [])
    if (svc instanceof MapNode) normaliseService(svc, baseDir, ctx.lookup, name)
  ctx.stack.push(abs)
  try {
    const withIncludes = includeFiles(root, dirname(abs), ctx)
    const svcs = asMap(withIncludes.get('services'))
    if (svcs) for (const name of [...svcs.entries.keys()]) resolveExtends(svcs, name, dirname(abs), ctx, [])
    return withIncludes
  } finally {
    ctx.stack.pop()
  }
}

/** Lists that are mappings to compose become mappings here, and relative host paths absolute. */
function normaliseService(svc: MapNode, baseDir: string, lookup: Lookup, name: string): void {
  for (const key of ['environment', 'labels', 'annotations', 'sysctls', 'extra_hosts']) {
    const m = listToMap(svc.get(key), key === 'environment' ? lookup : undefined)
    if (m) svc.set(key, m, svc.at(key))
  }
  const deps = dependsOnMap(svc.get('depends_on'))
  if (deps) svc.set('depends_on', deps, svc.at('depends_on'))
  const build = svc.get('build')
  if (build instanceof Leaf) {
    const m = new MapNode(build.loc)
    m.set('context', build, build.loc)
    svc.set('build', m, svc.at('build'))
  }
  const b = asMap(svc.get('build'))
  if (b) {
    const args = listToMap(b.get('args'))
    if (args) b.set('args', args, b.at('args'))
    absolutise(b.get('context'), baseDir)
  }
  const envFiles = svc.get('env_file')
  if (envFiles !== undefined) {
    const list = new SeqNode([], envFiles instanceof SeqNode ? envFiles.loc : svc.at('env_file'))
    for (const item of items(envFiles)) {
      const p = item instanceof MapNode ? item.get('path') : item
      if (!(p instanceof Leaf) || typeof p.value !== 'string')
        throw badAt(item.loc, `service "${name}": env_file entries are paths`)
      absolutise(p, baseDir)
      list.items.push(item)
    }
    svc.set('env_file', list, svc.at('env_file'))
  }
  for (const v of items(svc.get('volumes'))) {
    if (v instanceof Leaf && typeof v.value === 'string') {
      const [src, ...rest] = v.value.split(':')
      if (src && rest.length > 0 && /^(\.|~)/.test(src)) v.value = [resolveHost(src, baseDir), ...rest].join(':')
    } else if (v instanceof MapNode && (text(v.get('type')) ?? 'bind') === 'bind') {
      const s = v.get('source')
      if (s instanceof Leaf && typeof s.value === 'string' && /^(\.|~)/.test(s.value))
        s.value = resolveHost(s.value, baseDir)
    }
  }
}

function resolveHost(p: string, baseDir: string): string {
  if (p === '~' || p.startsWith('~/')) return `${process.env['HOME'] ?? '~'}${p.slice(1)}`
  return resolve(baseDir, p)
}

function absolutise(n: Node | undefined, baseDir: string): void {
  if (n instanceof Leaf && typeof n.value === 'string' && !URL_RE.test(n.value) && !isAbsolute(n.value))
    n.value = resolve(baseDir, n.value)
}

/** `include:` pulls in whole files (their services, networks, volumes); a name defined twice is an error, as in compose. */
function includeFiles(root: MapNode, dir: string, ctx: Ctx): MapNode {
  const inc = root.get('include')
  if (inc === undefined) return root
  let acc: MapNode | undefined
  for (const item of items(inc)) {
    const paths = item instanceof MapNode ? items(item.get('path')) : [item]
    for (const p of paths) {
      const rel = text(p)
      if (rel === undefined) throw badAt(p.loc, 'include entries are paths')
      if (URL_RE.test(rel)) {
        ctx.remoteIncludes.push({url: rel, loc: p.loc})
        continue
      }
      const abs = resolve(dir, rel)
      const doc = loadFile(abs, display(abs, ctx.cwd), dirname(abs), ctx)
      acc = acc ? (mergeNodes(acc, doc) as MapNode) : doc
    }
  }
  root.delete('include')
  if (!acc) return root
  const mine = asMap(root.get('services'))
  const theirs = asMap(acc.get('services'))
  for (const name of mine?.entries.keys() ?? []) {
    if (theirs?.entries.has(name))
      throw badAt(
        mine?.at(name) ?? root.loc,
        `service "${name}" is also defined by an included file (${theirs.at(name).file})`,
      )
  }
  return mergeNodes(acc, root) as MapNode
}

/** `extends` (same file or `file:`), resolved depth first; the child's keys merge over its parent's. */
function resolveExtends(services: MapNode, name: string, dir: string, ctx: Ctx, chain: string[]): MapNode {
  const svc = services.get(name)
  if (!(svc instanceof MapNode)) throw badAt(services.at(name), `service "${name}" must be a mapping`)
  const ext = svc.get('extends')
  if (ext === undefined) return svc
  if (chain.includes(name)) throw badAt(svc.at('extends'), `extends cycle: ${[...chain, name].join(' -> ')}`)
  const parentName = ext instanceof MapNode ? text(ext.get('service')) : text(ext)
  if (!parentName) throw badAt(svc.at('extends'), 'extends needs a service name')
  const file = ext instanceof MapNode ? text(ext.get('file')) : undefined
  let parent: MapNode
  if (file !== undefined) {
    const abs = resolve(dir, file)
    const doc = loadFile(abs, display(abs, ctx.cwd), dirname(abs), ctx)
    const other = asMap(doc.get('services'))
    const p = other?.get(parentName)
    if (!(p instanceof MapNode)) throw badAt(svc.at('extends'), `extends: ${file} has no service "${parentName}"`)
    parent = p
  } else {
    if (!services.entries.has(parentName)) throw badAt(svc.at('extends'), `extends: no service "${parentName}"`)
    parent = resolveExtends(services, parentName, dir, ctx, [...chain, name])
  }
  const child = new MapNode(svc.loc)
  for (const [k, v] of svc.entries) if (k !== 'extends') child.set(k, v, svc.at(k))
  const merged = mergeNodes(parent, child) as MapNode
  merged.loc = svc.loc
  services.set(name, merged, services.at(name))
  return merged
}

/** env_file entries in order (later files win), then `environment` over them. */
function mergedEnvironment(svc: MapNode, cwd: string): Map<string, Leaf> {
  const out = new Map<string, Leaf>()
  for (const item of items(svc.get('env_file'))) {
    const p = item instanceof MapNode ? item.get('path') : item
    const abs = text(p) ?? ''
    const required = item instanceof MapNode && item.get('required') !== undefined ? isTrue(item.get('required')) : true
    if (!existsSync(abs)) {
      if (required) throw badAt(p?.loc ?? svc.loc, `env_file ${display(abs, cwd)} does not exist`)
      continue
    }
    const shown = display(abs, cwd)
    for (const e of parseEnvFile(readText(abs, shown), shown))
      out.set(e.name, new Leaf(e.value, {file: shown, line: e.line}))
  }
  const env = asMap(svc.get('environment'))
  for (const [k, v] of env?.entries ?? []) {
    if (v instanceof Leaf) out.set(k, v.value === null ? new Leaf('', v.loc) : v)
  }
  return out
}
