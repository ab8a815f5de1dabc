import picomatch from 'picomatch'
import {formatReference, parseReference, repositoryName, type Reference} from '../reference/reference.js'
import type {Policy, Scope} from './types.js'

/**
 * Scope selection. A reference is normalised first (`nginx` is docker.io/library/nginx) and only
 * `registry/repository` is matched: tags are mutable, so a policy keyed on them could be dodged by retagging.
 */

// nocase off: repositories are lowercase by grammar, and registry hosts are lowercased before matching.
const GLOB_OPTS = {dot: true, strictBrackets: true} as const

export function globMatches(glob: string, name: string): boolean {
  return picomatch.isMatch(name, glob, GLOB_OPTS)
}

/** Builder ids and source repositories: `/.../` is an anchored regular expression, anything else a glob. */
export function matchPattern(pattern: string, value: string): boolean {
  if (pattern.length >= 2 && pattern.startsWith('/') && pattern.endsWith('/')) {
    return new RegExp(`^(?:${pattern.slice(1, -1)})$`, 'u').test(value)
  }
  // URLs such as https://github.com/org/repo contain slashes; `**` is what crosses them.
  return picomatch.isMatch(value, pattern, {dot: true})
}

export function toReference(ref: string | Reference): Reference {
  return typeof ref === 'string' ? parseReference(ref) : ref
}

/** What scope globs are matched against: lowercase host, repository as given. */
export function scopeName(ref: Reference): string {
  return repositoryName({...ref, registry: ref.registry.toLowerCase()})
}

function scopeMatch(scope: Scope, name: string): string | undefined {
  return scope.match.find((g) => globMatches(g, name))
}

/** The first scope whose globs match, or undefined (the evaluator fails closed on that). */
export function selectScope(policy: Policy, ref: string | Reference): Scope | undefined {
  const name = scopeName(toReference(ref))
  return policy.scopes.find((s) => scopeMatch(s, name) !== undefined)
}

type ScopeStatus = 'selected' | 'shadowed' | 'no-match'

interface ScopeExplanation {
  index: number
  line?: number
  description?: string
  match: string[]
  status: ScopeStatus
  /** The glob that matched, when one did. */
  matchedBy?: string
  why: string
}

export interface Explanation {
  policy: {name: string; source: string}
  input: string
  reference: string
  /** `registry/repository`: the string the globs are matched against. */
  name: string
  selected: number | null
  scopes: ScopeExplanation[]
}

/** Every scope in order, saying which one applies and why the others do not. */
export function explainScopes(policy: Policy, input: string | Reference): Explanation {
  const ref = toReference(input)
  const name = scopeName(ref)
  let selected: number | null = null
  const scopes = policy.scopes.map((s): ScopeExplanation => {
    const by = scopeMatch(s, name)
    const base = {index: s.index, line: s.line, description: s.description, match: s.match}
    if (by === undefined) return {...base, status: 'no-match', why: `${name} matches none of ${s.match.join(', ')}`}
    if (selected !== null) {
      return {...base, status: 'shadowed', matchedBy: by, why: `matches "${by}" but scope ${selected} comes first`}
    }
    selected = s.index
    return {...base, status: 'selected', matchedBy: by, why: `first scope matching: "${by}" matches ${name}`}
  })
  return {
    policy: {name: policy.name, source: policy.source},
    input: typeof input === 'string' ? input : formatReference(input),
    reference: formatReference(ref),
    name,
    selected,
    scopes,
  }
}
