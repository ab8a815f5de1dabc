import {mapLimit} from '../concurrency.js'
import {isImgvetError, EXIT, exitFor} from '../errors.js'
import {severityRank, type Finding} from '../findings/finding.js'
import {applyAllowlist} from '../policy/allowlist.js'
import {isFailing} from '../policy/evaluate.js'
import {selectScope} from '../policy/match.js'
import type {Policy, ScopeRequirements} from '../policy/types.js'
import type {VetResult} from '../pipeline/vet.js'
import {VERSION} from '../pipeline/scan.js'
import {summarise} from '../report/types.js'
import {loadProject, type ComposeService, type LoadOptions} from './load.js'
import {checkProject, type ImageFacts} from './rules/index.js'
import {text} from './tree.js'

/** A finding of the compose check; those that came from vetting a service's image name it. */
export type ComposeFinding = Finding & {image?: string}

interface ServiceSummary {
  name: string
  image: string | null
  digest: string | null
  /** `not-vetted`: --no-images, built locally, or a name that is not a reference; `error`: vetting could not complete. */
  verdict: 'pass' | 'fail' | 'not-vetted' | 'error'
  note?: string
}

export interface ComposeReport {
  kind: 'compose'
  tool: {name: 'imgvet'; version: string}
  files: string[]
  policy: {name: string}
  verdict: 'pass' | 'fail'
  reasons: Array<{id: string; message: string; service?: string}>
  services: ServiceSummary[]
  findings: ComposeFinding[]
  suppressed: ComposeFinding[]
  notes: string[]
  summary: ReturnType<typeof summarise>
}

interface ComposeCheckOptions extends LoadOptions {
  policy: Policy
  /** Vets one image reference with the vet pipeline; absent with --no-images. */
  vetImage?: (ref: string) => Promise<VetResult>
  concurrency?: number
  now?: Date
}

export interface ComposeCheckResult {
  report: ComposeReport
  /** 0 pass, 1 fail, 3 an image could not be vetted (as `vet`, "could not" wins over "failed"). */
  exitCode: number
}

type Vetted = {ok: true; result: VetResult} | {ok: false; message: string; couldNotComplete: boolean; notFound: boolean}

/** The image's user findings say nothing about a service that sets a non-root `user:` of its own. */
const USER_FINDINGS = /^config\.user\./

/** Bad input that belongs to one service's image (a typo in its reference), not to the whole run. */
const IMAGE_ERRORS = new Set(['bad-reference', 'no-such-image', 'not-a-registry'])

export async function checkCompose(files: readonly string[], opts: ComposeCheckOptions): Promise<ComposeCheckResult> {
  const project = loadProject(files, opts)
  const now = opts.now ?? new Date()
  const refs = [
    ...new Set(project.services.map((s) => text(s.node.get('image'))).filter((r): r is string => Boolean(r))),
  ]
  const vetted = new Map<string, Vetted>()
  const vet = opts.vetImage
  if (vet) {
    await mapLimit(refs, opts.concurrency ?? 2, async (ref) => {
      try {
        vetted.set(ref, {ok: true, result: await vet(ref)})
      } catch (e) {
        // Flags or a policy the vet stage refuses are the user's to fix for every image: stop, as vet does.
        if (!isImgvetError(e) || (e.exitCode === EXIT.badInput && !IMAGE_ERRORS.has(e.code))) throw e
        vetted.set(ref, {
          ok: false,
          message: e.oneLine(),
          couldNotComplete: e.exitCode === EXIT.couldNotComplete,
          notFound: e.code === 'not-found' || e.code === 'no-such-image',
        })
      }
    })
  }
  const facts = new Map<string, ImageFacts>()
  for (const s of project.services) {
    const v = vetted.get(text(s.node.get('image')) ?? '')
    if (v?.ok) {
      const cfg = v.result.image.config.config
      facts.set(s.name, {
        exposed: new Set(Object.keys(cfg?.ExposedPorts ?? {})),
        user: cfg?.User ?? '',
        runsAsRoot: v.result.verdict.findings.some((f) => f.id === 'config.user.root'),
      })
    }
  }
  const own = checkProject(project, facts)
  const findings: ComposeFinding[] = []
  const suppressed: ComposeFinding[] = []
  const reasons: ComposeReport['reasons'] = []
  const services: ServiceSummary[] = []
  let couldNotComplete = false
  const byService = new Map<string, Finding[]>()
  for (const f of own) byService.set(f.service ?? '', [...(byService.get(f.service ?? '') ?? []), f])
  const judgeOwn = (list: Finding[], scope: ScopeRequirements): number => {
    const {kept, suppressed: sup, notices} = applyAllowlist(list, scope.allow ?? [], now, opts.policy.file)
    findings.push(...kept, ...notices)
    suppressed.push(...sup)
    const failing = [...kept, ...notices].filter((f) => isFailing(f, scope))
    reasons.push(
      ...failing.map((f) => ({
        id: f.id,
        message: `${f.title} at ${f.path}:${f.line ?? 0}: ${f.evidence}`,
        ...(f.service ? {service: f.service} : {}),
      })),
    )
    return failing.length
  }
  for (const s of project.services) {
    const ref = text(s.node.get('image')) ?? null
    let failing = judgeOwn(byService.get(s.name) ?? [], scopeOf(opts.policy, ref))
    const summary: ServiceSummary = {name: s.name, image: ref, digest: null, verdict: 'not-vetted'}
    const v = ref ? vetted.get(ref) : undefined
    if (!ref) summary.note = 'built locally, not vetted'
    else if (!vet) summary.note = 'images not vetted (--no-images)'
    else if (v && !v.ok && s.node.get('build') !== undefined && v.notFound) {
      // `build:` with `image:` names what the build will be tagged; it need not exist in any registry yet.
      summary.note = `built locally, not vetted (${v.message})`
    } else if (v && !v.ok) {
      // An image nobody could vet never passes: a name that is no reference fails, a registry that failed is exit 3.
      summary.verdict = v.couldNotComplete ? 'error' : 'fail'
      summary.note = v.message
      couldNotComplete ||= v.couldNotComplete
      failing++
      reasons.push({
        id: 'compose.image.not-vetted',
        message: `image ${ref} of ${s.name} could not be vetted: ${v.message}`,
        service: s.name,
      })
    } else if (v?.ok) {
      summary.digest = v.result.image.digest
      failing += attribute(s, ref, v.result, findings, suppressed, reasons)
    }
    if (v?.ok) summary.verdict = failing > 0 ? 'fail' : 'pass'
    else if (summary.verdict === 'not-vetted' && failing > 0) summary.verdict = 'fail'
    services.push(summary)
  }
  failingProjectLevel(byService.get('') ?? [], opts.policy, judgeOwn)
  reasons.sort((a, b) => severityOf(b.id, findings) - severityOf(a.id, findings))
  const pass = reasons.length === 0
  const notes = [
    ...(project.skipped.length ? [`left out by --profile: ${project.skipped.join(', ')}`] : []),
    ...(vet ? [] : ['images not vetted (--no-images): their USER, EXPOSE and contents are unknown']),
    ...services.filter((s) => s.note?.startsWith('built locally')).map((s) => `${s.name}: ${s.note}`),
  ]
  const report: ComposeReport = {
    kind: 'compose',
    tool: {name: 'imgvet', version: VERSION},
    files: project.files,
    policy: {name: opts.policy.name},
    verdict: pass ? 'pass' : 'fail',
    reasons,
    services,
    findings,
    suppressed,
    notes,
    summary: summarise(findings),
  }
  return {report, exitCode: exitFor({pass, incomplete: couldNotComplete})}
}

/** Compose findings are judged by the scope of the service's image, else a catch-all scope, else the defaults. */
function scopeOf(policy: Policy, ref: string | null): ScopeRequirements {
  if (ref) {
    try {
      const s = selectScope(policy, ref)
      if (s) return s
    } catch {
      // A name that is not a reference (an unset variable's doing) has no scope; the catch-all judges it.
    }
  }
  return policy.scopes.find((s) => s.match.includes('**')) ?? {}
}

function failingProjectLevel(
  list: Finding[],
  policy: Policy,
  judge: (l: Finding[], s: ScopeRequirements) => number,
): void {
  if (list.length > 0) judge(list, scopeOf(policy, null))
}

/**
 * The image's findings become the service's: same ids, paths inside the image, `service` and `image` set. Its
 * verdict's reasons count, except user findings a non-root `user:` of the service makes moot.
 */
function attribute(
  s: ComposeService,
  ref: string,
  r: VetResult,
  findings: ComposeFinding[],
  suppressed: ComposeFinding[],
  reasons: ComposeReport['reasons'],
): number {
  const user = text(s.node.get('user'))
  // A `user:` decides who runs, whatever the image says; an unset one leaves the image's root to compose.user.root.
  const moot = (id: string) => (user !== undefined ? USER_FINDINGS.test(id) : id === 'config.user.root')
  const why = user !== undefined ? `the service sets user: "${user}"` : 'reported for the service as compose.user.root'
  const dropped = new Set<string>()
  for (const f of r.verdict.findings) {
    if (moot(f.id)) {
      dropped.add(f.fingerprint)
      suppressed.push({...f, service: s.name, image: ref, note: why})
      continue
    }
    findings.push({...f, service: s.name, image: ref})
  }
  for (const f of r.verdict.suppressed) suppressed.push({...f, service: s.name, image: ref})
  let n = 0
  for (const x of r.verdict.reasons) {
    if (x.fingerprint && dropped.has(x.fingerprint)) continue
    if (moot(x.id)) continue
    reasons.push({id: x.id, message: `${s.name} (${ref}): ${x.message}`, service: s.name})
    n++
  }
  return n
}

function severityOf(id: string, findings: readonly Finding[]): number {
  const f = findings.find((x) => x.id === id)
  return f ? severityRank(f.severity) : severityRank('high')
}
