import type {Finding} from '../../findings/finding.js'
import {parseMounts, userIsRoot, type MountSpec} from '../normalize.js'
import {isTrue, items, MapNode, text} from '../tree.js'
import {composeFinding, type ServiceContext, type ServiceRule} from './types.js'

/** Each one, added to a container, is a known way out to the host (or to every other container's traffic). */
const DANGEROUS_CAPS = new Set([
  'ALL',
  'SYS_ADMIN',
  'NET_ADMIN',
  'SYS_PTRACE',
  'SYS_MODULE',
  'DAC_READ_SEARCH',
  'DAC_OVERRIDE',
  'SYS_RAWIO',
  'SYS_BOOT',
  'SYS_TIME',
  'BPF',
  'PERFMON',
  'MAC_ADMIN',
  'MAC_OVERRIDE',
  'SYSLOG',
  'NET_RAW',
  'SETFCAP',
  'LINUX_IMMUTABLE',
])

const privileged: ServiceRule = {
  id: 'compose.privileged',
  run(ctx) {
    const s = ctx.service
    // Lifecycle hooks run in the same container and may ask for privileges of their own.
    const places = [
      {node: s.node, where: 'service'},
      ...['post_start', 'pre_stop'].flatMap((k) => items(s.node.get(k)).map((h) => ({node: h, where: k}))),
    ]
    return places
      .filter((p): p is {node: MapNode; where: string} => p.node instanceof MapNode && isTrue(p.node.get('privileged')))
      .map((p) =>
        composeFinding({
          id: this.id,
          severity: 'critical',
          rule: 'non-root',
          loc: p.node.at('privileged'),
          service: s.name,
          subject: p.where,
          title: 'Privileged container',
          evidence:
            `privileged: true${p.where === 'service' ? '' : ` in ${p.where}`}: every device and capability, ` +
            'no seccomp or AppArmor; root in it is root on the host',
        }),
      )
  },
}

const capabilities: ServiceRule = {
  id: 'compose.cap.dangerous',
  run(ctx) {
    return items(ctx.service.node.get('cap_add')).flatMap((c) => {
      const cap = (text(c) ?? '').toUpperCase().replace(/^CAP_/, '')
      if (!DANGEROUS_CAPS.has(cap)) return []
      return [
        composeFinding({
          id: this.id,
          severity: 'high',
          rule: 'non-root',
          loc: c.loc,
          service: ctx.service.name,
          subject: cap,
          title: 'Dangerous capability added',
          evidence: `cap_add: ${cap} lets the container act on the host kernel or other containers`,
        }),
      ]
    })
  },
}

const devices: ServiceRule = {
  id: 'compose.devices',
  run(ctx) {
    const n = ctx.service.node
    return [...items(n.get('devices')), ...items(n.get('device_cgroup_rules'))].map((d) =>
      composeFinding({
        id: this.id,
        severity: 'high',
        rule: 'non-root',
        loc: d.loc,
        service: ctx.service.name,
        subject: text(d) ?? JSON.stringify(d),
        title: 'Host device given to the container',
        evidence: `${text(d) ?? 'a device'}: raw host devices bypass the container's isolation`,
      }),
    )
  },
}

const securityOpt: ServiceRule = {
  id: 'compose.security-opt.unconfined',
  run(ctx) {
    return items(ctx.service.node.get('security_opt')).flatMap((o) => {
      const s = (text(o) ?? '').replace(/\s+/g, '')
      if (!/^(seccomp|apparmor|systempaths)[:=]unconfined$|^label[:=]disable$/i.test(s)) return []
      return [
        composeFinding({
          id: this.id,
          severity: 'high',
          rule: 'non-root',
          loc: o.loc,
          service: ctx.service.name,
          subject: s,
          title: 'Confinement disabled',
          evidence: `security_opt ${s}: the kernel no longer filters what the container may do`,
        }),
      ]
    })
  },
}

const namespaces: ServiceRule = {
  id: 'compose.namespace.host',
  run(ctx) {
    return ['pid', 'ipc', 'uts', 'userns_mode', 'cgroup']
      .filter((k) => text(ctx.service.node.get(k)) === 'host')
      .map((k) =>
        composeFinding({
          id: this.id,
          severity: 'high',
          rule: 'non-root',
          loc: ctx.service.node.at(k),
          service: ctx.service.name,
          subject: k,
          title: 'Host namespace shared',
          evidence: `${k}: host shares the host's ${k.replace('_mode', '')} namespace with the container`,
        }),
      )
  },
}

const SOCKET = /(^|\/)(docker|podman|containerd|crio|cri-dockerd|buildkitd)\.sock$/
const RUN_DIRS = new Set([
  '/run',
  '/var/run',
  '/run/containerd',
  '/var/run/containerd',
  '/run/podman',
  '/var/run/podman',
  '/run/docker',
  '/var/run/docker',
])

function binds(ctx: ServiceContext): MountSpec[] {
  return parseMounts(ctx.service.node.get('volumes'), ctx.project.volumes, ctx.service.name).filter(
    (m) => m.type === 'bind',
  )
}

const engineSocket: ServiceRule = {
  id: 'compose.socket.mounted',
  run(ctx) {
    const out: Finding[] = []
    for (const m of binds(ctx)) {
      const src = m.source.replace(/\/+$/, '') || '/'
      if (!SOCKET.test(src) && !RUN_DIRS.has(src)) continue
      out.push(
        composeFinding({
          id: this.id,
          severity: 'critical',
          rule: 'daemon-tls',
          loc: m.loc,
          service: ctx.service.name,
          subject: src,
          title: 'Container engine socket mounted',
          evidence:
            `${m.text}: whoever reaches the engine API is root on the host, with no TLS and no authentication` +
            (RUN_DIRS.has(src) ? ' (the directory holds the socket)' : ''),
        }),
      )
    }
    if (isTrue(ctx.service.node.get('use_api_socket'))) {
      out.push(
        composeFinding({
          id: this.id,
          severity: 'critical',
          rule: 'daemon-tls',
          loc: ctx.service.node.at('use_api_socket'),
          service: ctx.service.name,
          subject: 'use_api_socket',
          title: 'Container engine socket mounted',
          evidence: 'use_api_socket: true gives the container the engine API socket and your registry credentials',
        }),
      )
    }
    return out
  },
}

/** Host paths whose contents are the host: binding them hands the host to whoever controls the container. */
const SENSITIVE = [
  '/',
  '/etc',
  '/root',
  '/var/lib/docker',
  '/var/lib/containerd',
  '/var/lib/kubelet',
  '/proc',
  '/sys',
  '/boot',
  '/dev',
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib64',
  '/home',
  '/var/log',
  '/var/lib',
  '/var',
]
const SENSITIVE_UNDER = [
  '/etc/',
  '/root/',
  '/var/lib/docker/',
  '/var/lib/containerd/',
  '/proc/',
  '/sys/',
  '/boot/',
  '/dev/',
  '/usr/',
  '/bin/',
  '/sbin/',
  '/lib/',
]
const HOME_SECRETS = /\/\.(ssh|docker|aws|kube|gnupg|config\/gcloud|azure)(\/|$)/
/** Read-only binds images routinely need; flagging them would bury the real findings. */
const BENIGN = new Set(['/etc/localtime', '/etc/timezone', '/dev/shm', '/dev/null', '/dev/urandom'])

const sensitivePaths: ServiceRule = {
  id: 'compose.volume.sensitive-path',
  run(ctx) {
    const out: Finding[] = []
    for (const m of binds(ctx)) {
      const src = m.source.replace(/\/+$/, '') || '/'
      if (SOCKET.test(src) || RUN_DIRS.has(src) || (BENIGN.has(src) && m.readOnly)) continue
      const hit = SENSITIVE.includes(src) || SENSITIVE_UNDER.some((p) => src.startsWith(p)) || HOME_SECRETS.test(src)
      if (!hit) continue
      out.push(
        composeFinding({
          id: this.id,
          severity: m.readOnly ? 'medium' : 'high',
          rule: 'minimal-host',
          loc: m.loc,
          service: ctx.service.name,
          subject: src,
          title: 'Sensitive host path bound into the container',
          evidence: m.readOnly
            ? `${m.text} (read-only): the container sees the host's ${src}`
            : `${m.text} (writable): the container sees and can change the host's ${src}`,
        }),
      )
    }
    return out
  },
}

/**
 * Root in the container: `user:` says so, or it is unset and the image's own USER is root, which only vetting the
 * image can tell (the image's own finding says so then, attributed to the service).
 */
const rootUser: ServiceRule = {
  id: 'compose.user.root',
  run(ctx) {
    const user = text(ctx.service.node.get('user'))
    const fromImage = user === undefined && ctx.image?.runsAsRoot
    if (!fromImage && (user === undefined || !userIsRoot(user))) return []
    return [
      composeFinding({
        id: this.id,
        severity: 'high',
        rule: 'non-root',
        loc: fromImage ? ctx.service.loc : ctx.service.node.at('user'),
        service: ctx.service.name,
        subject: 'user',
        title: 'Service runs as root',
        evidence: fromImage
          ? `user: is not set and the image's USER "${ctx.image?.user ?? ''}" is root: set user: to a non-root uid`
          : `user: "${user}" runs the service as uid 0`,
      }),
    ]
  },
}

export const RUNTIME_RULES: readonly ServiceRule[] = [
  privileged,
  capabilities,
  devices,
  securityOpt,
  namespaces,
  engineSocket,
  sensitivePaths,
  rootUser,
]
