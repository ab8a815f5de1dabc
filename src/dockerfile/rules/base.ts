import type {Finding} from '../../findings/finding.js'
import {portAllowed} from '../../checks/config/ports.js'
import {globMatches, scopeName, selectScope} from '../../policy/match.js'
import {parseReference, type Reference} from '../../reference/reference.js'
import {expandVars, hasUnresolvedVars, stageChain, stageVars, type Stage} from '../parse.js'
import {dfFinding, type DockerfileRule, type RuleContext} from './types.js'

/** What a stage's FROM points at once variables are substituted. */
type BaseKind =
  | {kind: 'scratch'}
  | {kind: 'stage'; index: number}
  | {kind: 'image'; ref: Reference}
  | {kind: 'unresolved'; text: string}
  | {kind: 'invalid'; text: string; why: string}

export function baseOf(stage: Stage): BaseKind {
  if (stage.parent !== undefined) return {kind: 'stage', index: stage.parent}
  if (stage.image.toLowerCase() === 'scratch') return {kind: 'scratch'}
  if (hasUnresolvedVars(stage.image)) return {kind: 'unresolved', text: stage.image}
  try {
    return {kind: 'image', ref: parseReference(stage.image)}
  } catch (e) {
    return {kind: 'invalid', text: stage.image, why: e instanceof Error ? e.message : String(e)}
  }
}

/** The external images a Dockerfile builds on, in stage order, each once. */
export function externalBases(stages: readonly Stage[]): Array<{stage: Stage; ref: Reference}> {
  const out: Array<{stage: Stage; ref: Reference}> = []
  for (const s of stages) {
    const b = baseOf(s)
    if (b.kind === 'image') out.push({stage: s, ref: b.ref})
  }
  return out
}

const fromRule: DockerfileRule = {
  id: 'dockerfile.from',
  findingIds: ['dockerfile.from.unpinned', 'dockerfile.from.unresolved', 'dockerfile.from.invalid', 'dockerfile.from.untrusted', 'dockerfile.from.not-allowed'],
  run({df, policy, target}: RuleContext): Finding[] {
    const out: Finding[] = []
    for (const stage of df.stages) {
      const b = baseOf(stage)
      const at = {line: stage.line, rule: 'trust-external' as const}
      if (b.kind === 'unresolved') {
        out.push(dfFinding(df.path, {...at, id: 'dockerfile.from.unresolved', severity: 'medium', category: 'integrity',
          title: 'Base image depends on a build argument without a default', evidence: `FROM ${stage.imageRaw}: the image is chosen at build time, so it cannot be vetted here`, subject: stage.imageRaw}))
        continue
      }
      if (b.kind === 'invalid') {
        out.push(dfFinding(df.path, {...at, id: 'dockerfile.from.invalid', severity: 'medium', category: 'integrity',
          title: 'Base image reference is not valid', evidence: `FROM ${stage.image.slice(0, 200)}: ${b.why}`, subject: stage.image}))
        continue
      }
      if (b.kind !== 'image') continue
      const name = scopeName(b.ref)
      if (!b.ref.digest) {
        out.push(dfFinding(df.path, {...at, id: 'dockerfile.from.unpinned', severity: 'medium', category: 'integrity',
          title: 'Base image is not pinned by digest', subject: name,
          evidence: `FROM ${stage.image}: a tag can be moved to other content; pin it as ${name}@sha256:<digest> (and let a bot update the digest)`}))
      }
      const scope = selectScope(policy, b.ref)
      if (!scope) {
        out.push(dfFinding(df.path, {...at, id: 'dockerfile.from.untrusted', severity: 'high', category: 'integrity',
          title: 'Base image comes from a repository the policy does not trust', subject: name,
          evidence: `no scope of policy "${policy.name}" matches ${name}`}))
        continue
      }
      // The built image's scope lists the bases it may use; without a target scope the base's own scope decides.
      const allow = target.baseImages?.allow ?? scope.baseImages?.allow
      if (allow && !allow.some((g) => globMatches(g, name))) {
        out.push(dfFinding(df.path, {...at, id: 'dockerfile.from.not-allowed', severity: 'high', category: 'integrity',
          title: 'Base image is not one the policy allows', subject: name, evidence: `${name}; allowed: ${allow.join(', ')}`}))
      }
    }
    return out
  },
}

/** USER values that run as uid 0: empty user part, `0`, `root` (any group). */
function isRootUser(user: string): boolean {
  const u = user.trim().split(':')[0] ?? ''
  return u === '' || u === 'root' || /^0+$/.test(u)
}

const userRule: DockerfileRule = {
  id: 'dockerfile.user',
  findingIds: ['dockerfile.user.root', 'dockerfile.user.missing', 'dockerfile.user.unresolved'],
  run({df, target}: RuleContext): Finding[] {
    const final = df.stages[df.stages.length - 1]
    if (!final) return []
    const required = target.user?.nonRoot === true
    const sev = required ? ('high' as const) : ('low' as const)
    const note = required ? undefined : 'the policy does not require a non-root user'
    const base = {category: 'config' as const, rule: 'non-root' as const}
    // The last USER of the final stage, or of the stage it builds on: USER is inherited through FROM <stage>.
    for (const s of stageChain(df, final)) {
      const users = s.instructions.filter((i) => i.keyword === 'USER')
      const last = users[users.length - 1]
      if (!last) continue
      const value = expandVars(last.args[0] ?? '', stageVars(df, s, last.line))
      if (hasUnresolvedVars(value)) {
        return [dfFinding(df.path, {...base, id: 'dockerfile.user.unresolved', severity: 'low', line: last.line, subject: value,
          title: 'USER depends on a build argument without a default', evidence: `USER ${last.args[0] ?? ''}: whether it is root is decided at build time`})]
      }
      if (!isRootUser(value)) return []
      return [dfFinding(df.path, {...base, id: 'dockerfile.user.root', severity: sev, line: last.line, subject: value, note,
        title: 'Final stage runs as root', evidence: `USER ${value} is uid 0; add a non-root USER (e.g. USER 65532:65532) after the steps that need root`})]
    }
    const root = stageChain(df, final).pop() ?? final
    const b = baseOf(root)
    const fromScratch = b.kind === 'scratch'
    return [dfFinding(df.path, {...base, id: fromScratch ? 'dockerfile.user.root' : 'dockerfile.user.missing', severity: sev, line: final.line, subject: '', note,
      title: fromScratch ? 'Final stage runs as root' : 'Final stage sets no USER, so it runs as root unless the base image says otherwise',
      evidence: fromScratch
        ? 'no USER in a stage built FROM scratch: the container runs as root'
        : `no USER instruction: the image inherits the user of ${root.image}, root unless that image sets one; state a non-root USER explicitly`})]
  },
}

const exposeRule: DockerfileRule = {
  id: 'dockerfile.expose',
  findingIds: ['dockerfile.expose.not-allowed'],
  run({df, target}: RuleContext): Finding[] {
    const allow = target.ports?.allow
    const final = df.stages[df.stages.length - 1]
    if (!allow || !final) return []
    const out: Finding[] = []
    // EXPOSE is inherited from parent stages just as from a base image.
    for (const s of stageChain(df, final)) {
      for (const ins of s.instructions.filter((i) => i.keyword === 'EXPOSE')) {
        const vars = stageVars(df, s, ins.line)
        for (const a of ins.args) {
          const port = expandVars(a, vars)
          if (portAllowed(port, allow)) continue
          out.push(dfFinding(df.path, {id: 'dockerfile.expose.not-allowed', severity: 'high', category: 'config', rule: 'ports', line: ins.line, subject: port,
            title: 'EXPOSE names a port the policy does not allow', evidence: `EXPOSE ${port}; allowed: ${allow.length ? allow.join(', ') : 'none'}`}))
        }
      }
    }
    return out
  },
}

export const BASE_RULES: readonly DockerfileRule[] = [fromRule, userRule, exposeRule]
