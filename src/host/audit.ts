import {statSync} from 'node:fs'
import {exitFor, ImgvetError, isImgvetError} from '../errors.js'
import {severityRank} from '../findings/finding.js'
import {applyAllowlist} from '../policy/allowlist.js'
import {isFailing} from '../policy/evaluate.js'
import type {Policy, ScopeRequirements} from '../policy/types.js'
import {VERSION} from '../pipeline/scan.js'
import {summarise} from '../report/types.js'
import {containerFindings, hostFinding, nameOf, ownerFindings, ownership, DEFAULT_LABEL_KEYS,
  type ContainerInspect, type ContainerSummary, type HostFinding, type LabelKeys} from './containers.js'
import {EngineClient, parseHost, probe, type EngineTarget, type Probe, type ServerCert, type Transport} from './engine.js'
import {tcpAddress, type DaemonConfig} from './daemon-config.js'
import {auditFilesystem} from './filesystem.js'
import {vetContainerImages, type ImageVerdict} from './images.js'

interface EngineSource {
  status: 'used' | 'not-given' | 'unreachable' | 'refused'
  endpoint?: string
  transport?: Transport
  probe?: Probe
  product?: string
  version?: string
  apiVersion?: string
  serverCert?: ServerCert
  warnings?: string[]
  detail?: string
}

export interface HostReport {
  kind: 'host'
  tool: {name: 'imgvet'; version: string}
  host: string | null
  policy: {name: string}
  sources: {
    engine: EngineSource
    filesystem: {status: 'used' | 'not-given'; root?: string; read?: string[]; packages?: number | null}
    /** TCP endpoints the local configuration and running dockerd name, each probed without credentials. */
    endpoints: Array<{url: string; from: string; probed: string; transport: Probe['transport']; detail: string}>
  }
  containers: ContainerSummary[]
  /** Each image the containers use, exported from the engine and vetted (absent with --no-images). */
  images: ImageVerdict[]
  notChecked: Array<{check: string; source: 'engine' | 'filesystem'; why: string}>
  verdict: 'pass' | 'fail'
  reasons: Array<{id: string; message: string}>
  findings: HostFinding[]
  suppressed: HostFinding[]
  notes: string[]
  summary: ReturnType<typeof summarise>
}

interface HostAuditOptions {
  engine?: EngineTarget
  root?: string
  policy: Policy
  labels?: LabelKeys
  allowPackages?: readonly string[]
  allowProcesses?: readonly string[]
  allowPorts?: readonly number[]
  /** Vet each container's image (exported from the engine); default true. */
  vetImages?: boolean
  now?: Date
}

const ENGINE_CHECKS = ['tcp-probe', 'engine-warnings', 'containers', 'owners']
const FS_CHECKS = ['daemon-config', 'file-modes', 'docker-group', 'packages', 'listening-sockets']

const probeFinding = (target: string, p: Probe): HostFinding | undefined => {
  const base = {rule: 'daemon-tls' as const, source: 'engine' as const, path: target, subject: target}
  if (p.transport === 'plain-http')
    return hostFinding({...base, id: 'host.engine.plain-tcp', severity: 'critical', title: 'Engine API answers plain HTTP',
      evidence: `${target}: ${p.detail}; anyone who reaches it is root on the host`})
  if (p.transport === 'tls-no-verify')
    return hostFinding({...base, id: 'host.engine.tls-no-verify', severity: 'high',
      title: 'Engine API accepts TLS clients without a certificate',
      evidence: `${target}: ${p.detail}; TLS hides the traffic but lets anyone in`})
  const old = (p.tlsVersions ?? []).filter((v) => v === 'TLSv1' || v === 'TLSv1.1')
  if (old.length)
    return hostFinding({...base, id: 'host.engine.tls-old', severity: 'medium', title: 'Engine API accepts TLS before 1.2',
      evidence: `${target}: negotiates ${old.join(', ')} (accepted: ${p.tlsVersions?.join(', ')})`})
  if (p.transport === 'mutual-tls' && p.serverCert && p.serverCert.daysLeft < 30)
    return hostFinding({...base, id: 'host.engine.cert-expiry', severity: p.serverCert.daysLeft < 0 ? 'high' : 'low',
      title: 'Engine server certificate expires soon',
      evidence: `${target}: server certificate ${p.serverCert.subject} valid until ${p.serverCert.notAfter}` +
        ` (${p.serverCert.daysLeft} days)`})
  return undefined
}

async function auditEngine(t: EngineTarget, keys: LabelKeys, now: Date, images?: {policy: Policy}) {
  const findings: HostFinding[] = []
  const notChecked: HostReport['notChecked'] = []
  const containers: ContainerSummary[] = []
  let vetted: ImageVerdict[] = []
  const src: EngineSource = {status: 'used', endpoint: t.url}
  let couldNot = false
  const addr = parseHost(t.url)
  let transport: Transport = 'unix'
  if (addr.kind === 'tcp') {
    const p = await probe(t, now)
    src.probe = p
    if (p.serverCert) src.serverCert = p.serverCert
    const f = probeFinding(t.url, p)
    if (f) findings.push(f)
    if (p.transport === 'unreachable') {
      src.status = 'unreachable'
      src.detail = p.detail
      for (const c of ENGINE_CHECKS) notChecked.push({check: c, source: 'engine', why: `${t.url} unreachable`})
      return {src, findings, notChecked, containers, couldNot: true, images: vetted}
    }
    transport = p.transport
    if (p.transport === 'mutual-tls' && !(t.cert && t.key)) {
      src.status = 'refused'
      src.detail = 'mutual TLS required; give --tlscacert, --tlscert and --tlskey to read containers'
      for (const c of ENGINE_CHECKS.slice(1)) notChecked.push({check: c, source: 'engine', why: src.detail})
      return {src, findings, notChecked, containers, couldNot: false, images: vetted}
    }
  } else {
    notChecked.push({check: 'tcp-probe', source: 'engine', why: `${t.url} is a unix socket; give a tcp:// --host to probe`})
  }
  src.transport = transport
  const api = EngineClient.for(t, transport)
  try {
    const v = await api.json<{Version?: string; ApiVersion?: string; Components?: Array<{Name?: string}>}>('/version')
    src.version = v.Version
    src.apiVersion = v.ApiVersion
    src.product = (v.Components ?? []).some((c) => /podman/i.test(c.Name ?? '')) ? 'podman' : 'docker'
    const info = await api.json<{Warnings?: string[] | null}>('/info')
    src.warnings = (info.Warnings ?? []).filter((w) => typeof w === 'string')
    for (const w of src.warnings.filter((x) => /API is accessible|without (encryption|TLS client verification)/i.test(x)))
      findings.push(hostFinding({id: 'host.engine.warning', severity: 'high', rule: 'daemon-tls', source: 'engine',
        path: t.url, subject: w, title: 'The engine warns its API is open', evidence: w.replace(/\s+/g, ' ').slice(0, 300)}))
    const list = await api.json<Array<{Id?: string}>>('/containers/json?all=1')
    const inspected: ContainerInspect[] = []
    for (const c of Array.isArray(list) ? list : []) {
      if (typeof c.Id !== 'string' || !/^[0-9a-f]{12,64}$/.test(c.Id)) continue
      inspected.push(await api.json<ContainerInspect>(`/containers/${c.Id}/json`))
    }
    for (const c of inspected) {
      const own = containerFindings(c)
      findings.push(...own)
      containers.push({id: (c.Id ?? '').slice(0, 12), name: nameOf(c), image: c.Config?.Image ?? c.Image ?? '',
        state: c.State?.Status ?? 'unknown', ...ownership(c, keys), findings: own.length})
    }
    findings.push(...ownerFindings(inspected, keys))
    if (images) {
      const v = await vetContainerImages(api, inspected, {policy: images.policy})
      findings.push(...v.findings)
      vetted = v.images
      for (const c of containers) c.findings += v.findings.filter((f) => f.container === c.name).length
    }
  } catch (e) {
    if (!isImgvetError(e)) throw e
    couldNot = true
    src.detail = e.oneLine()
    for (const c of ENGINE_CHECKS.slice(1)) notChecked.push({check: c, source: 'engine', why: e.oneLine()})
  }
  return {src, findings, notChecked, containers, couldNot, images: vetted}
}

/**
 * An attacker's view of every TCP address the daemons here are configured with; an unspecified address
 * (0.0.0.0, ::) is tried on loopback. The client's CA and certificate, if given, only help learn the server's.
 */
async function probeConfigured(configs: readonly DaemonConfig[], given: EngineTarget | undefined, now: Date) {
  const out: Array<{entry: HostReport['sources']['endpoints'][number]; finding?: HostFinding}> = []
  const done = new Set<string>(given ? [given.url] : [])
  for (const c of configs) {
    for (const h of c.hosts) {
      const addr = tcpAddress(h.url)
      if (!addr) continue
      const probed = `tcp://${addr.replace(/^(0\.0\.0\.0|\[::\]|::)?:/, '127.0.0.1:')}`
      if (done.has(probed)) continue
      done.add(probed)
      let p: Probe
      try {
        p = await probe({url: probed, ca: given?.ca, cert: given?.cert, key: given?.key}, now)
      } catch (e) {
        // An address the config holds but no URL can express is the config finding's business, not a crash.
        if (!isImgvetError(e)) throw e
        continue
      }
      const f = probeFinding(probed, p)
      if (f) f.evidence = `${f.evidence} (configured in ${h.from})`
      out.push({entry: {url: h.url, from: h.from, probed, transport: p.transport, detail: p.detail}, finding: f})
    }
  }
  return out
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

/** Exit codes as vet: 0 pass, 1 fail, 3 a source that was asked for could not be read. */
export async function auditHost(o: HostAuditOptions): Promise<{report: HostReport; exitCode: number}> {
  if (!o.engine && !o.root) throw new ImgvetError('usage', 'give --host (the engine API), --root (the host filesystem), or both')
  if (o.root && !isDir(o.root)) throw new ImgvetError('bad-input', `--root ${o.root} is not a directory`)
  if (o.engine) parseHost(o.engine.url)
  const now = o.now ?? new Date()
  const findings: HostFinding[] = []
  const notChecked: HostReport['notChecked'] = []
  let containers: ContainerSummary[] = []
  let images: ImageVerdict[] = []
  let engine: EngineSource = {status: 'not-given'}
  let couldNot = false
  if (o.engine) {
    const r = await auditEngine(o.engine, o.labels ?? DEFAULT_LABEL_KEYS, now, o.vetImages === false ? undefined : {policy: o.policy})
    images = r.images
    if (o.vetImages === false) notChecked.push({check: 'images', source: 'engine', why: '--no-images'})
    engine = r.src
    findings.push(...r.findings)
    notChecked.push(...r.notChecked)
    containers = r.containers
    couldNot = r.couldNot
  } else {
    for (const c of ENGINE_CHECKS) notChecked.push({check: c, source: 'engine', why: 'no --host given'})
  }
  let filesystem: HostReport['sources']['filesystem'] = {status: 'not-given'}
  const endpoints: HostReport['sources']['endpoints'] = []
  if (o.root) {
    const r = auditFilesystem({root: o.root, allowPackages: o.allowPackages ?? [], allowProcesses: o.allowProcesses ?? [],
      allowPorts: o.allowPorts ?? []})
    findings.push(...r.findings)
    for (const n of r.notChecked) notChecked.push({...n, source: 'filesystem'})
    filesystem = {status: 'used', root: o.root, read: [...new Set(r.configs.flatMap((c) => c.read))], packages: r.packages}
    if (o.root === '/') {
      for (const e of await probeConfigured(r.configs, o.engine, now)) {
        endpoints.push(e.entry)
        if (e.finding) findings.push(e.finding)
      }
      if (endpoints.length) {
        const i = notChecked.findIndex((n) => n.check === 'tcp-probe')
        if (i >= 0) notChecked.splice(i, 1)
      }
    }
  } else {
    for (const c of FS_CHECKS) notChecked.push({check: c, source: 'filesystem', why: 'no --root given'})
  }
  const scope: ScopeRequirements = o.policy.scopes.find((s) => s.match.includes('**')) ?? {}
  const {kept, suppressed, notices} = applyAllowlist(findings, scope.allow ?? [], now, o.policy.file)
  const all = [...kept, ...notices] as HostFinding[]
  all.sort((a, b) => severityRank(b.severity) - severityRank(a.severity))
  const reasons = all.filter((f) => isFailing(f, scope)).map((f) => ({id: f.id, message: `${f.title}: ${f.evidence}`}))
  const pass = reasons.length === 0 && !couldNot
  const report: HostReport = {
    kind: 'host',
    tool: {name: 'imgvet', version: VERSION},
    host: o.engine?.url ?? null,
    policy: {name: o.policy.name},
    sources: {engine, filesystem, endpoints},
    containers,
    images,
    notChecked,
    verdict: pass ? 'pass' : 'fail',
    reasons,
    findings: all,
    suppressed: suppressed as HostFinding[],
    notes: o.vetImages === false || !o.engine ? [] : images.length ? [`${images.length} container image(s) exported from the engine and vetted`] : [],
    summary: summarise(all),
  }
  return {report, exitCode: exitFor({pass, incomplete: couldNot})}
}
