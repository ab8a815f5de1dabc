import {detectConfigSecrets} from '../checks/config-secrets.js'
import {newFinding, redact, type Finding, type SeedRule, type Severity} from '../findings/finding.js'

/** The parts of `GET /containers/{id}/json` the audit reads; every field may be missing (podman, old engines). */
export interface ContainerInspect {
  Id?: string
  Name?: string
  Image?: string
  State?: {Status?: string}
  Config?: {User?: string; Env?: string[] | null; Labels?: Record<string, string> | null; Image?: string}
  HostConfig?: {
    Privileged?: boolean
    NetworkMode?: string
    PidMode?: string
    IpcMode?: string
    UTSMode?: string
    UsernsMode?: string
    CapAdd?: string[] | null
    SecurityOpt?: string[] | null
    Binds?: string[] | null
    PortBindings?: Record<string, Array<{HostIp?: string; HostPort?: string}> | null> | null
  }
  Mounts?: Array<{Type?: string; Source?: string; Destination?: string}> | null
}

export type HostFinding = Finding & {source: 'engine' | 'filesystem'; container?: string}

/** Each one, added to a container, is a known way out to the host (the compose check's list). */
const DANGEROUS_CAPS = new Set(['ALL', 'SYS_ADMIN', 'NET_ADMIN', 'SYS_PTRACE', 'SYS_MODULE', 'DAC_READ_SEARCH',
  'DAC_OVERRIDE', 'SYS_RAWIO', 'SYS_BOOT', 'SYS_TIME', 'BPF', 'PERFMON', 'MAC_ADMIN', 'MAC_OVERRIDE', 'SYSLOG',
  'NET_RAW', 'SETFCAP', 'LINUX_IMMUTABLE'])

const ENGINE_SOCKET = /(^|\/)(docker|podman|containerd)\.sock$|^\/run\/(docker|containerd|podman)(\/|$)/
/** Host paths whose bind gives the container the host (or its secrets). */
const SENSITIVE = /^\/(etc|root|boot|dev|proc|sys|var\/lib\/docker|var\/lib\/containers|var\/run|run|home)?\/?$|^\/(etc|root|boot|proc|sys)\//

export interface ContainerSummary {
  id: string
  name: string
  image: string
  state: string
  owner: string | null
  sensitivity: string | null
  findings: number
}

export interface LabelKeys {
  owner: string
  sensitivity: string
}

export const DEFAULT_LABEL_KEYS: LabelKeys = {owner: 'imgvet.owner', sensitivity: 'imgvet.sensitivity'}
const COMPOSE_PROJECT = 'com.docker.compose.project'

export function nameOf(c: ContainerInspect): string {
  return (c.Name ?? c.Id?.slice(0, 12) ?? '?').replace(/^\//, '')
}

export function hostFinding(s: {
  id: string
  severity: Severity
  rule: SeedRule
  title: string
  evidence: string
  source: HostFinding['source']
  path: string | null
  subject: string
  container?: string
  category?: Finding['category']
}): HostFinding {
  const {source, container, subject, ...rest} = s
  const f = newFinding({...rest, category: s.category ?? 'config', subject: `${container ?? ''}\0${subject}`})
  return {...f, source, ...(container ? {container} : {})}
}

function isRootUser(user: string | undefined): boolean {
  const u = (user ?? '').split(':')[0] ?? ''
  return u === '' || u === '0' || u === 'root'
}

/** Everything one container's configuration says about its reach into the host; running or not does not matter. */
export function containerFindings(c: ContainerInspect): HostFinding[] {
  const name = nameOf(c)
  const hc = c.HostConfig ?? {}
  const out: HostFinding[] = []
  const add = (id: string, severity: Severity, rule: SeedRule, title: string, evidence: string, subject = '') =>
    out.push(hostFinding({id, severity, rule, title, evidence, source: 'engine', path: `container:${name}`,
      subject, container: name}))
  if (hc.Privileged)
    add('host.container.privileged', 'critical', 'non-root', 'Privileged container',
      `${name}: Privileged=true: every device and capability, no seccomp or AppArmor; root in it is root on the host`)
  for (const [key, mode] of [['NetworkMode', hc.NetworkMode], ['PidMode', hc.PidMode], ['IpcMode', hc.IpcMode],
    ['UTSMode', hc.UTSMode], ['UsernsMode', hc.UsernsMode]] as const) {
    if (mode === 'host')
      add('host.container.host-namespace', 'high', key === 'NetworkMode' ? 'ports' : 'non-root',
        'Container shares a host namespace',
        `${name}: HostConfig.${key}=host`, key)
  }
  const mounts = [
    ...(hc.Binds ?? []).map((b) => b.split(':')[0] ?? ''),
    ...(c.Mounts ?? []).filter((m) => m.Type === 'bind').map((m) => m.Source ?? ''),
  ]
  for (const src of new Set(mounts.filter(Boolean))) {
    if (ENGINE_SOCKET.test(src))
      add('host.container.engine-socket', 'critical', 'daemon-tls', 'Engine socket mounted into a container',
        `${name}: bind of ${src}: the container can start privileged containers, i.e. is root on the host`, src)
    else if (SENSITIVE.test(src))
      add('host.container.sensitive-mount', 'high', 'minimal-host', 'Sensitive host path mounted',
        `${name}: bind of host ${src}`, src)
  }
  for (const cap of hc.CapAdd ?? []) {
    const k = cap.toUpperCase().replace(/^CAP_/, '')
    if (DANGEROUS_CAPS.has(k))
      add('host.container.capability', 'high', 'non-root', 'Dangerous capability added',
        `${name}: CapAdd ${k} lets the container act on the host kernel or other containers`, k)
  }
  for (const opt of hc.SecurityOpt ?? []) {
    // `=` and the old `:` syntax both count. dockerd itself adds `label=disable` to privileged and host-pid
    // containers, which is why "SecurityOpt is set" (docker-bench 5.3) says nothing about confinement.
    const m = /^(seccomp|apparmor|systempaths)[=:]unconfined$|^(label)[=:]disable$/.exec(opt)
    if (m)
      add('host.container.unconfined', 'high', 'non-root', `${m[1] ?? 'SELinux label'} confinement disabled`,
        `${name}: SecurityOpt ${opt}`, opt)
  }
  // An explicit root is certain (high); an unset user is the image's USER, not vetted here (medium).
  if (isRootUser(c.Config?.User))
    add('host.container.user-root', c.Config?.User ? 'high' : 'medium', 'non-root', 'Container runs as root',
      `${name}: Config.User is ${c.Config?.User ? JSON.stringify(c.Config.User) : 'unset (the image decides; root unless it sets USER)'}`)
  for (const [port, binds] of Object.entries(hc.PortBindings ?? {})) {
    for (const b of binds ?? []) {
      const ip = b.HostIp ?? ''
      if (ip === '' || ip === '0.0.0.0' || ip === '::' || ip === '[::]')
        add('host.container.port-all-interfaces', 'medium', 'ports', 'Port published on all interfaces',
          `${name}: ${port} published on ${/^[0-9a-f:]*:[0-9a-f:]*$/i.test(ip) ? `[${ip}]` : ip || '0.0.0.0'}:` +
            `${b.HostPort || '(random)'}; bind a host IP or use expose`,
          `${port}/${ip}/${b.HostPort ?? ''}`)
    }
  }
  for (const d of detectConfigSecrets({config: {Env: c.Config?.Env ?? [], Labels: c.Config?.Labels ?? {}}})) {
    out.push({...hostFinding({id: 'host.container.env-secret', severity: d.severity, rule: 'no-credentials',
      title: 'Secret in container environment', category: d.category,
      evidence: `${name}: ${d.where.replace(/^config\.Env\[\d+\] /, 'env ').replace(/^config\.Labels/, 'label')}: ${d.evidence ?? redact(d.secret)}`,
      source: 'engine', path: `container:${name}`, subject: d.secret, container: name})})
  }
  return out
}

/** Owner and sensitivity of a container: its labels; a compose project stands in for a missing owner label. */
export function ownership(c: ContainerInspect, keys: LabelKeys): {owner: string | null; sensitivity: string | null} {
  const l = c.Config?.Labels ?? {}
  return {owner: l[keys.owner] ?? l[COMPOSE_PROJECT] ?? null, sensitivity: l[keys.sensitivity] ?? null}
}

/** The seed: one owner and one sensitivity per host. A container that says neither could be anyone's. */
export function ownerFindings(cs: readonly ContainerInspect[], keys: LabelKeys): HostFinding[] {
  const out: HostFinding[] = []
  const facts = cs.map((c) => ({name: nameOf(c), ...ownership(c, keys)}))
  for (const [what, key] of [['owner', 'owner'], ['sensitivity', 'sensitivity']] as const) {
    const groups = new Map<string, string[]>()
    for (const f of facts) {
      const v = f[key] ?? '(unknown)'
      groups.set(v, [...(groups.get(v) ?? []), f.name])
    }
    const known = [...groups.keys()].filter((k) => k !== '(unknown)')
    if (groups.size > 1 && known.length > 0) {
      const summary = [...groups].map(([v, n]) => `${v}: ${n.join(', ')}`).join('; ')
      out.push(hostFinding({id: `host.${what}.mixed`, severity: 'high', rule: 'single-owner',
        title: `Containers of more than one ${what} on one host`,
        evidence: `${groups.size} ${what} values (label ${keys[key]}${key === 'owner' ? ` or ${COMPOSE_PROJECT}` : ''}): ${summary}`,
        source: 'engine', path: null, subject: [...groups.keys()].sort().join('\0')}))
    }
  }
  for (const f of facts.filter((x) => x.owner === null))
    out.push(hostFinding({id: 'host.owner.unknown', severity: 'medium', rule: 'single-owner',
      title: 'Container of unknown owner', source: 'engine', path: `container:${f.name}`, subject: 'owner',
      container: f.name,
      evidence: `${f.name} has no ${keys.owner} (nor ${COMPOSE_PROJECT}) label: whose data it holds is unknown`}))
  return out
}
