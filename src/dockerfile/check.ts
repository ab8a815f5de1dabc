import {readFile, stat} from 'node:fs/promises'
import {asImgvetError, ImgvetError} from '../errors.js'
import {severityRank, type Finding} from '../findings/finding.js'
import {applyAllowlist} from '../policy/allowlist.js'
import {isFailing} from '../policy/evaluate.js'
import {scopeName, selectScope, toReference} from '../policy/match.js'
import type {Policy, Scope} from '../policy/types.js'
import {VERSION} from '../pipeline/scan.js'
import {summarise, type Report} from '../report/types.js'
import {contextFindings, scanContext, type ContextScan} from './context.js'
import {parseDockerfile, stageChain, type ParsedDockerfile} from './parse.js'
import {baseOf, BASE_RULES} from './rules/base.js'
import {CONTENT_RULES} from './rules/content.js'
import type {DockerfileRule} from './rules/types.js'

export const DOCKERFILE_RULES: readonly DockerfileRule[] = [...BASE_RULES, ...CONTENT_RULES]

interface DockerfileCheckOptions {
  policy: Policy
  /** The reference the built image will have: selects the scope whose ports/user/failOn apply. */
  as?: string
  now?: Date
  /**
   * The build context directory: COPY/ADD sources are resolved in it, honouring .dockerignore, and key or
   * credential files they would copy are reported. Read by checkDockerfile only; checkDockerfileText has no files.
   */
  context?: string
}

export interface DockerfileCheckResult {
  dockerfile: ParsedDockerfile
  /** The scope judging the file, and what chose it. */
  scope: Scope | null
  scopeFrom: string
  pass: boolean
  findings: Finding[]
  suppressed: Finding[]
  failing: Finding[]
  report: Report
}

/**
 * Which scope judges a Dockerfile: the one of the image it will become (`--as`), else the one of the external image
 * the final stage builds on, else a catch-all scope. A Dockerfile is not an image yet, so "what will it be called"
 * is the caller's to say; the fallbacks keep `dockerfile check` useful without it.
 */
function targetScope(df: ParsedDockerfile, policy: Policy, as?: string): {scope: Scope | null; from: string} {
  if (as) {
    const ref = toReference(as)
    return {scope: selectScope(policy, ref) ?? null, from: `--as ${scopeName(ref)}`}
  }
  const final = df.stages[df.stages.length - 1]
  const root = final ? stageChain(df, final).pop() : undefined
  const b = root ? baseOf(root) : undefined
  if (b?.kind === 'image') {
    const s = selectScope(policy, b.ref)
    if (s) return {scope: s, from: `final base ${scopeName(b.ref)}`}
  }
  const catchAll = policy.scopes.find((s) => s.match.includes('**'))
  return {scope: catchAll ?? null, from: catchAll ? 'catch-all scope "**"' : 'no scope (defaults apply)'}
}

export function checkDockerfileText(text: string, path: string, opts: DockerfileCheckOptions): DockerfileCheckResult {
  return judge(parseDockerfile(text, path), path, opts)
}

function judge(df: ParsedDockerfile, path: string, opts: DockerfileCheckOptions, context?: ContextScan): DockerfileCheckResult {
  const {scope, from} = targetScope(df, opts.policy, opts.as)
  const target = scope ?? {}
  const fromContext = context ? contextFindings(df, context, target) : {findings: [], notes: []}
  const all = [...DOCKERFILE_RULES.flatMap((r) => r.run({df, policy: opts.policy, target})), ...fromContext.findings]
  all.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || severityRank(b.severity) - severityRank(a.severity))
  const {kept, suppressed, notices} = applyAllowlist(all, scope?.allow ?? [], opts.now ?? new Date(), opts.policy.file)
  const findings = [...kept, ...notices]
  const failing = findings.filter((f) => isFailing(f, target))
  const pass = failing.length === 0
  const report: Report = {
    kind: 'vet',
    tool: {name: 'imgvet', version: VERSION},
    image: {reference: path, digest: '', platform: ''},
    policy: {name: opts.policy.name, scope: scope ? scope.match.join(', ') : null},
    verdict: pass ? 'pass' : 'fail',
    reasons: failing
      .slice()
      .sort((a, b) => severityRank(b.severity) - severityRank(a.severity))
      .map((f) => ({id: f.id, message: `${f.title} at ${path}:${f.line ?? 0}: ${f.evidence}`})),
    findings,
    suppressed,
    notes: [
      `scope chosen by ${from}`, `${df.stages.length} stage(s), ${df.stages.reduce((n, s) => n + s.instructions.length + 1, 0)} instructions`,
      ...(context?.notes ?? []), ...fromContext.notes,
    ],
    summary: summarise(findings),
  }
  return {dockerfile: df, scope, scopeFrom: from, pass, findings, suppressed, failing, report}
}

export async function checkDockerfile(path: string, opts: DockerfileCheckOptions): Promise<DockerfileCheckResult> {
  let text: string
  try {
    const st = await stat(path)
    if (!st.isFile()) throw new ImgvetError('bad-input', 'not a regular file', path)
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw asImgvetError(e, 'bad-input', path)
  }
  const df = parseDockerfile(text, path)
  const context = opts.context === undefined ? undefined : await scanContext(df, {context: opts.context, dockerfile: path})
  return judge(df, path, opts, context)
}
