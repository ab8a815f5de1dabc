import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {checkDockerfile, type DockerfileCheckResult} from '../dockerfile/check.js'
import {externalBases} from '../dockerfile/rules/base.js'
import {newFinding, type Finding, type Severity} from '../findings/finding.js'
import {loadImage} from '../image/resolve.js'
import {openSource} from '../image/open.js'
import type {ImageSource, Platform} from '../image/types.js'
import {isFailing} from '../policy/evaluate.js'
import {selectScope} from '../policy/match.js'
import {DEFAULT_NOT_CHECKED, type Policy} from '../policy/types.js'
import {policyReference, vetSource, type SupplyChainStage, type VetResult} from '../pipeline/vet.js'
import {registrySupplyChainStage} from '../signatures/stage.js'
import {formatReference, parseReference, type Reference} from '../reference/reference.js'
import {formatTransport, parseTransport} from '../reference/transport.js'
import type {Registries} from '../registry/client.js'
import {summarise, type Report} from '../report/types.js'
import {VERSION} from '../pipeline/scan.js'
import {checkSupplyChain} from '../signatures/supply-chain.js'
import {build, pickBuilder, probeBuilders, type BuilderName, type BuilderProbe, type BuildOutput} from './builders.js'
import {compareImages, type CompareResult} from './compare.js'
import {imageFiles} from './filemap.js'
import {referenceIsLoopback} from './insecure.js'
import {pushBuilt} from './push.js'

export interface RebuildOptions {
  context: string
  /** Default `<context>/Dockerfile`. */
  dockerfile?: string
  tag: string
  compare?: string
  push: boolean
  policy: Policy
  /** Build even when the Dockerfile check or the base images fail the policy. */
  force: boolean
  registries: Registries
  platform: Platform
  /** Plain HTTP / unverified TLS for the builder's pulls and pushes (always for loopback registries). */
  insecure: boolean
  builder?: BuilderName
  /** Kept after the run when given; otherwise a temp dir that is removed. */
  workDir?: string
  buildArgs?: Record<string, string>
  maxLayerBytes?: number
  log?: (line: string) => void
  now?: Date
}

interface BaseCheck {
  reference: string
  checked: boolean
  findings: Finding[]
  failing: Finding[]
}

export interface RebuildResult {
  builders: BuilderProbe[]
  dockerfile: DockerfileCheckResult
  bases: BaseCheck[]
  /** Why nothing was built, when nothing was. */
  refused?: string
  build?: BuildOutput
  vet?: VetResult
  compare?: CompareResult
  pass: boolean
  report: Report
}

function notCheckedFinding(ref: string, severity: Severity, why: string): Finding {
  return newFinding({
    id: 'rebuild.base.signatures-not-checked', severity, category: 'signature', rule: 'trust-external',
    title: 'Base image signatures not checked', evidence: `${ref}: ${why.slice(0, 500)}`, subject: ref,
  })
}

/** Signatures and provenance of each external base, judged by the scope that covers that base. */
async function checkBases(df: DockerfileCheckResult, o: RebuildOptions): Promise<BaseCheck[]> {
  const seen = new Set<string>()
  const out: BaseCheck[] = []
  for (const {ref} of externalBases(df.dockerfile.stages)) {
    const name = formatReference(ref)
    if (seen.has(name)) continue
    seen.add(name)
    const scope = selectScope(o.policy, ref)
    // A base no scope covers is already a dockerfile.from.untrusted finding; there are no requirements to check.
    if (!scope) continue
    let findings: Finding[]
    let checked = true
    try {
      const r = await checkSupplyChain({reference: ref, registries: o.registries, platform: o.platform, requirements: scope})
      findings = r.findings.map((f) => ({...f, title: `${f.title} (base ${name})`}))
    } catch (e) {
      checked = false
      const required = scope.signatures?.required === true || scope.provenance?.required === true
      findings = [notCheckedFinding(name, required ? (scope.notChecked ?? DEFAULT_NOT_CHECKED) : 'info', e instanceof Error ? e.message : String(e))]
    }
    out.push({reference: name, checked, findings, failing: findings.filter((f) => isFailing(f, scope))})
  }
  return out
}

function combinedReport(r: Omit<RebuildResult, 'report' | 'pass'>, pass: boolean, tag: string, policy: Policy): Report {
  const vet = r.vet?.report
  const findings = [...r.dockerfile.findings, ...r.bases.flatMap((b) => b.findings), ...(vet?.findings ?? [])]
  const reasons = [
    ...(r.dockerfile.report.reasons ?? []),
    ...r.bases.flatMap((b) => b.failing.map((f) => ({id: f.id, message: `${f.title}: ${f.evidence}`}))),
    ...(vet?.reasons ?? []),
  ]
  const notes = [
    `builders: ${r.builders.map((b) => `${b.name} ${b.usable ? 'usable' : b.found ? 'found, not usable' : 'not found'}`).join(', ')}`,
    ...(r.build ? [`built with ${r.build.builder} in ${r.build.seconds.toFixed(1)} s: ${formatTransport(r.build.transport)}`] : []),
    ...(r.refused ? [`not built: ${r.refused}`] : []),
    ...r.bases.filter((b) => !b.checked).map((b) => `base image signatures not checked: ${b.reference}`),
    ...(r.dockerfile.report.notes ?? []).map((n) => `Dockerfile: ${n}`),
    ...(vet?.notes ?? []),
    ...(r.compare ? [`compare: ${r.compare.verdict}`] : []),
  ]
  return {
    kind: 'vet',
    tool: {name: 'imgvet', version: VERSION},
    image: vet?.image ?? {reference: tag, digest: '', platform: ''},
    policy: vet?.policy ?? {name: policy.name, scope: r.dockerfile.report.policy?.scope ?? null},
    verdict: pass ? 'pass' : 'fail',
    reasons,
    findings,
    suppressed: [...(r.dockerfile.suppressed ?? []), ...(vet?.suppressed ?? [])],
    notes,
    summary: summarise(findings),
    stats: vet?.stats,
  }
}

async function closeQuietly(s: ImageSource | undefined): Promise<void> {
  await s?.close?.().catch(() => undefined)
}

/** check → bases → build → vet → compare. Each stage's outcome is kept, so a refusal still explains itself. */
export async function rebuild(o: RebuildOptions): Promise<RebuildResult> {
  const context = resolve(o.context)
  const dockerfilePath = o.dockerfile ?? join(o.context, 'Dockerfile')
  const targetRef: Reference = parseReference(o.tag)
  const dockerfile = await checkDockerfile(dockerfilePath, {policy: o.policy, as: o.tag, now: o.now, context: o.context})
  const bases = await checkBases(dockerfile, o)
  const partial: Omit<RebuildResult, 'report' | 'pass'> = {builders: [], dockerfile, bases}
  const baseFailing = bases.flatMap((b) => b.failing)
  if ((!dockerfile.pass || baseFailing.length > 0) && !o.force) {
    partial.refused = `${!dockerfile.pass ? `the Dockerfile fails policy "${o.policy.name}" (${dockerfile.failing.length} finding(s))` : 'a base image fails the policy'}; fix it or pass --force`
    return {...partial, pass: false, report: combinedReport(partial, false, o.tag, o.policy)}
  }
  partial.builders = await probeBuilders()
  const chosen = pickBuilder(partial.builders, o.builder)
  // The builder, unlike imgvet's own client, does not treat loopback registries as plain HTTP by itself.
  const insecure = o.insecure || referenceIsLoopback(targetRef) || externalBases(dockerfile.dockerfile.stages).some((b) => referenceIsLoopback(b.ref))
  const workDir = o.workDir ?? mkdtempSync(join(tmpdir(), 'imgvet-rebuild-'))
  let upstreamSource: ImageSource | undefined
  let builtSource: ImageSource | undefined
  try {
    partial.build = await build(chosen.name, {
      context, dockerfile: resolve(dockerfilePath), tag: o.tag, insecure, workDir,
      buildArgs: o.buildArgs, platform: undefined, log: o.log,
    })
    // Our own push, not the builder's: the same client, auth, TLS and integrity checks as every other request.
    if (o.push) partial.build = await pushBuilt(partial.build, targetRef, o.registries)
    const t = partial.build.transport
    builtSource = await openSource(t, o.registries)
    const pushedRef = builtSource.supplyChain?.reference
    // A pushed image is judged as what it now is; a local layout as the tag it was built for.
    const supplyChain: SupplyChainStage | undefined = pushedRef ? registrySupplyChainStage(o.registries, o.platform) : undefined
    // The build is for this host's platform (platform: undefined above), so it is vetted as built.
    partial.vet = await vetSource(builtSource, pushedRef ?? policyReference(builtSource, formatReference(targetRef)), {
      policy: o.policy, cache: null, maxLayerBytes: o.maxLayerBytes, supplyChain, now: o.now,
    })
    // The temporary layout is gone after the run; name the local build by the tag it was built as.
    if (!pushedRef) partial.vet.report.image.reference = `${formatReference(targetRef)} (local build, not pushed)`
    if (o.compare) {
      const ut = parseTransport(o.compare)
      upstreamSource = await openSource(ut, o.registries)
      const upstream = await loadImage(upstreamSource, o.platform)
      const [uf, rf] = [await imageFiles(upstream, o.maxLayerBytes), await imageFiles(partial.vet.image, o.maxLayerBytes)]
      partial.compare = compareImages({image: upstream, files: uf.files}, {image: partial.vet.image, files: rf.files})
    }
  } finally {
    await closeQuietly(upstreamSource)
    await closeQuietly(builtSource)
    if (!o.workDir) rmSync(workDir, {recursive: true, force: true, maxRetries: 3})
  }
  // --force builds anyway; it does not turn a failing Dockerfile into a passing verdict.
  const pass = partial.vet?.verdict.pass === true && dockerfile.pass && baseFailing.length === 0
  return {...partial, pass, report: combinedReport(partial, pass, o.tag, o.policy)}
}
