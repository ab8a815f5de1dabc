import {readFile, readdir, stat} from 'node:fs/promises'
import {existsSync} from 'node:fs'
import {basename, dirname, extname, isAbsolute, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {ImgvetError} from '../errors.js'
import {parseTrustedIdentities, parseTrustedIdentity} from '../signatures/notation.js'
import type {ValidateFunction} from './schema.js'
import {policyValidator} from './validators.js'
import {ajvIssue, closest, keyPath, lineOf, parseYaml, type ParsedYaml, type PathSeg} from './lines.js'
import type {AllowEntry, Policy, PolicyIssue, Scope, ScopeRequirements} from './types.js'

/** A policy that failed validation; `issues` holds every problem found, each with its line. */
export class PolicyError extends ImgvetError {
  readonly issues: PolicyIssue[]
  constructor(issues: PolicyIssue[]) {
    const first = issues[0]
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''
    const key = first?.key ? `${first.key}: ` : ''
    super('bad-policy', first ? key + first.message + more : 'invalid policy', first ? `${first.file}:${first.line}` : undefined)
    this.issues = issues
  }
}

const MAX_POLICY_BYTES = 1024 * 1024

/** Validate policy text: every issue, schema and semantic, in file order. An empty list means valid. */
export function checkPolicyText(text: string, file: string): {issues: PolicyIssue[]; parsed: ParsedYaml} {
  const parsed = parseYaml(text, file)
  if (parsed.issues.length > 0) return {issues: parsed.issues, parsed}
  const issues = schemaIssues(parsed, file, policyValidator())
  if (issues.length === 0) issues.push(...semanticIssues(parsed, file))
  const seen = new Set<string>()
  const unique = issues.filter((i) => {
    const k = `${i.line}\0${i.key}\0${i.message}`
    return seen.has(k) ? false : (seen.add(k), true)
  })
  unique.sort((a, b) => a.line - b.line)
  return {issues: unique, parsed}
}

/** What the schema says is wrong, one issue per problem, each with its line and a "did you mean" for typos. */
export function schemaIssues(parsed: ParsedYaml, file: string, validate: ValidateFunction): PolicyIssue[] {
  if (validate(parsed.data)) return []
  const errors = validate.errors ?? []
  // A misspelt required key shows up twice (unknown `nonroot`, missing `nonRoot`); the first message says it all.
  const misspelt = new Set(
    errors
      .filter((e) => e.keyword === 'additionalProperties')
      .map((e) => {
        const allowed = Object.keys((e.parentSchema?.properties as Record<string, unknown> | undefined) ?? {})
        return `${e.instancePath}\0${closest(String(e.params.additionalProperty), allowed) ?? ''}`
      }),
  )
  return errors
    .filter((e) => !(e.keyword === 'required' && misspelt.has(`${e.instancePath}\0${String(e.params.missingProperty)}`)))
    .map((e) => ajvIssue(parsed, file, e))
}

/** Cross-field rules that JSON Schema would only express with unreadable oneOf errors. */
function semanticIssues(parsed: ParsedYaml, file: string): PolicyIssue[] {
  const out: PolicyIssue[] = []
  const add = (segs: PathSeg[], message: string) => out.push({file, line: lineOf(parsed, segs), key: keyPath(segs), message})
  const data = parsed.data as {defaults?: Record<string, unknown>; scopes: Record<string, unknown>[]}
  const blocks: [PathSeg[], Record<string, unknown>][] = data.scopes.map((s, i) => [['scopes', i], s])
  if (data.defaults) blocks.unshift([['defaults'], data.defaults])
  for (const [at, block] of blocks) {
    const sig = block.signatures as {identities?: {subject?: string; subjectRegExp?: string}[]} | undefined
    sig?.identities?.forEach((id, j) => {
      if ((id.subject === undefined) === (id.subjectRegExp === undefined)) {
        add([...at, 'signatures', 'identities', j], 'needs exactly one of subject or subjectRegExp')
      }
    })
    const notation = (block.signatures as {notation?: {identities: string[]}} | undefined)?.notation
    if (notation) {
      const where: PathSeg[] = [...at, 'signatures', 'notation', 'identities']
      const why = (f: () => unknown) => {
        try {
          f()
          return undefined
        } catch (e) {
          return e instanceof Error ? e.message : String(e)
        }
      }
      const each = notation.identities.map((id, j) => [j, why(() => parseTrustedIdentity(id))] as const).filter(([, m]) => m !== undefined)
      for (const [j, m] of each) add([...where, j], m as string)
      // Overlaps are a property of the list, checked once every identity parses.
      const overlap = each.length === 0 ? why(() => parseTrustedIdentities(notation.identities)) : undefined
      if (overlap) add(where, overlap)
    }
    const allow = block.allow as {path?: string; id?: string; fingerprint?: string; package?: string}[] | undefined
    allow?.forEach((a, j) => {
      if (a.path === undefined && a.id === undefined && a.fingerprint === undefined && a.package === undefined) {
        add([...at, 'allow', j], 'needs at least one of path, id, fingerprint or package (an entry matching everything would hide every finding)')
      }
    })
    const user = block.user as {nonRoot: boolean; allowedUids?: number[]} | undefined
    if (user?.nonRoot && user.allowedUids?.includes(0)) add([...at, 'user', 'allowedUids'], 'contains 0 while nonRoot is true')
  }
  return out
}

/** Parse and validate policy text into a Policy, or throw a PolicyError listing every issue. */
export function parsePolicy(text: string, file: string, opts: {source?: string; path?: string} = {}): Policy {
  const {issues, parsed} = checkPolicyText(text, file)
  if (issues.length > 0) throw new PolicyError(issues)
  type RawScope = ScopeRequirements & {match: string | string[]; description?: string}
  // Safe: the schema has just accepted this shape.
  const data = parsed.data as {name?: string; description?: string; defaults?: ScopeRequirements; scopes: RawScope[]}
  const abs = opts.path ?? resolve(file)
  const baseDir = dirname(abs)
  const scopes: Scope[] = data.scopes.map((own, index) => {
    const merged: ScopeRequirements = {...(data.defaults ?? {}), ...own}
    const scope: Scope = {
      ...merged,
      match: Array.isArray(own.match) ? own.match : [own.match],
      description: own.description,
      index,
      line: lineOf(parsed, ['scopes', index]),
    }
    if (scope.signatures?.keys) {
      scope.signatures = {...scope.signatures, keys: scope.signatures.keys.map((k) => (isAbsolute(k) ? k : resolve(baseDir, k)))}
    }
    if (scope.signatures?.notation) {
      const n = scope.signatures.notation
      scope.signatures = {...scope.signatures, notation: {...n, trustStore: n.trustStore.map((k) => (isAbsolute(k) ? k : resolve(baseDir, k)))}}
    }
    if (merged.allow) {
      // Entries inherited from defaults keep their own line, so messages about them point at the right place.
      const from: PathSeg[] = own.allow ? ['scopes', index, 'allow'] : ['defaults', 'allow']
      scope.allow = merged.allow.map((a: AllowEntry, j) => ({...a, line: lineOf(parsed, [...from, j])}))
    }
    return scope
  })
  return {
    name: data.name ?? basename(file, extname(file)),
    description: data.description,
    source: opts.source ?? abs,
    file: abs,
    scopes,
  }
}

/**
 * The shipped presets live in `trust-policies/` at the package root. Walk up from this module so it works from
 * src/policy under tsx and from dist/src/policy after a build.
 */
export function presetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'trust-policies')
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate
    const up = dirname(dir)
    if (up === dir) throw new ImgvetError('bad-policy', 'cannot find the trust-policies directory of the installation')
    dir = up
  }
}

export async function listPresets(): Promise<string[]> {
  const names = await readdir(presetsDir())
  return names.filter((n) => n.endsWith('.yaml')).map((n) => n.slice(0, -'.yaml'.length)).sort()
}

const PRESET_NAME = /^[a-z0-9][a-z0-9-]*$/

/**
 * `--policy NAME` picks a shipped preset, `--policy FILE` a file. Anything with a path separator or a YAML
 * extension is a file; a bare name is a preset, falling back to a file of that name only if no preset has it.
 */
export async function resolvePolicyPath(
  nameOrPath: string,
  cwd = process.cwd(),
): Promise<{path: string; source: string; display: string}> {
  const looksLikeFile = nameOrPath.includes('/') || nameOrPath.includes('\\') || /\.ya?ml$/i.test(nameOrPath)
  if (!looksLikeFile && PRESET_NAME.test(nameOrPath)) {
    const preset = join(presetsDir(), `${nameOrPath}.yaml`)
    if (existsSync(preset)) return {path: preset, source: `preset:${nameOrPath}`, display: preset}
  }
  const path = resolve(cwd, nameOrPath)
  const st = await stat(path).catch(() => undefined)
  if (st?.isFile()) return {path, source: path, display: nameOrPath}
  const presets = await listPresets().catch(() => [])
  throw new ImgvetError('bad-policy', `no policy file or preset named "${nameOrPath}" (presets: ${presets.join(', ') || 'none'})`, nameOrPath)
}

export async function readPolicyFile(path: string): Promise<string> {
  const st = await stat(path).catch((e: unknown) => {
    throw new ImgvetError('bad-policy', `cannot read policy: ${e instanceof Error ? e.message : String(e)}`, path)
  })
  if (!st.isFile()) throw new ImgvetError('bad-policy', 'policy is not a regular file', path)
  if (st.size > MAX_POLICY_BYTES) throw new ImgvetError('bad-policy', `policy larger than ${MAX_POLICY_BYTES} bytes`, path)
  return readFile(path, 'utf8')
}

/** Resolve a preset name or file, read it, validate it. */
export async function loadPolicy(nameOrPath: string, cwd?: string): Promise<Policy> {
  const {path, source, display} = await resolvePolicyPath(nameOrPath, cwd)
  return parsePolicy(await readPolicyFile(path), display, {source, path})
}
