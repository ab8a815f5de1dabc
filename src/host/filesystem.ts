import {existsSync, lstatSync, readdirSync, readFileSync, readlinkSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {hostFinding, type HostFinding} from './containers.js'
import {readDaemonConfig, runningDockerd, tcpAddress, type DaemonConfig} from './daemon-config.js'

/** What a host may run besides the base system (seed: only docker, sshd and monitoring tools). */
const ENGINE_PACKAGES = ['docker.io', 'docker-ce', 'docker-ce-cli', 'docker-ce-rootless-extras', 'docker-cli',
  'docker-buildx-plugin', 'docker-compose-plugin', 'docker-compose', 'containerd', 'containerd.io', 'runc', 'tini',
  'podman', 'crun', 'conmon', 'buildah', 'skopeo', 'netavark', 'aardvark-dns', 'slirp4netns', 'fuse-overlayfs',
  'catatonit', 'golang-github-containers-common', 'golang-github-containers-image', 'iptables', 'pigz', 'cgroupfs-mount']
const SSH_PACKAGES = ['openssh-server', 'openssh-client', 'openssh-sftp-server', 'openssh']
const MONITORING_PACKAGES = ['prometheus-node-exporter', 'collectd', 'collectd-core', 'telegraf', 'zabbix-agent',
  'zabbix-agent2', 'datadog-agent', 'netdata', 'auditd', 'rsyslog', 'node-exporter', 'cadvisor', 'fluent-bit',
  'filebeat', 'metricbeat', 'amazon-cloudwatch-agent']
/** Not marked required/important by Debian, yet on every minimal install (or Alpine's base set). */
const BASE_EXTRA = ['ca-certificates', 'systemd', 'systemd-sysv', 'libsystemd0', 'udev', 'sudo', 'apt-utils',
  'ifupdown', 'isc-dhcp-client', 'netbase', 'openssl', 'linux-image-amd64', 'linux-image-arm64', 'grub-pc',
  'grub-efi-amd64', 'locales', 'tzdata', 'less', 'alpine-baselayout', 'alpine-baselayout-data', 'alpine-keys',
  'alpine-release', 'apk-tools', 'busybox', 'busybox-binsh', 'musl', 'musl-utils', 'libc-utils', 'scanelf',
  'ssl_client', 'zlib', 'libcrypto3', 'libssl3', 'ca-certificates-bundle']
/** Packages that are servers in their own right: data of their own and a port of their own on the docker host. */
const SERVER = /^(apache2|nginx(-\w+)?|lighttpd|httpd|mysql-server(-[\d.]+)?|mariadb-server(-[\d.]+)?|postgresql(-\d+)?|redis-server|mongodb(-server)?|memcached|rabbitmq-server|docker-registry|exim4(-daemon-\w+)?|postfix|bind9|samba|vsftpd|proftpd(-basic)?|tomcat\d*|jenkins|cups|nfs-kernel-server|dovecot-\w+|squid|haproxy|elasticsearch|kafka|php[\d.]*-fpm)$/

const ENGINE_PROCS = new Set(['dockerd', 'docker-proxy', 'containerd', 'podman', 'sshd', 'conmon'])

interface Package {
  name: string
  priority?: string
  /** Names in Depends and Pre-Depends (every alternative): what this package brings along. */
  depends?: string[]
}

/** `Status: install ok installed` entries of a dpkg status file. */
function dpkgInstalled(text: string): Package[] {
  const out: Package[] = []
  for (const para of text.split(/\n\s*\n/)) {
    const field = (k: string) => new RegExp(`^${k}:[ \\t]*(.*)$`, 'mi').exec(para)?.[1]?.trim()
    const name = field('Package')
    if (!name || !/\binstall ok installed\b/.test(field('Status') ?? '')) continue
    const depends = [field('Pre-Depends'), field('Depends')].filter((d): d is string => d !== undefined)
      .flatMap((d) => d.split(/[,|]/)).map((d) => d.trim().split(/[\s(:]/)[0] ?? '').filter((d) => d !== '')
    out.push({name, priority: field('Priority'), depends})
  }
  return out
}

/** Package names (`P:` lines) of an apk installed database. */
function apkInstalled(text: string): Package[] {
  return [...text.matchAll(/^P:(.+)$/gm)].map((m) => ({name: (m[1] ?? '').trim()}))
}

interface Listener {
  proto: 'tcp' | 'tcp6'
  address: string
  port: number
  inode: string
  process?: string
}

/** Listening (state 0A) rows of /proc/net/tcp or tcp6; addresses are little-endian hex words. */
export function parseProcNet(text: string, proto: Listener['proto']): Listener[] {
  const out: Listener[] = []
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f.length < 10 || f[3] !== '0A') continue
    const [hex, port] = (f[1] ?? '').split(':')
    if (!hex || !port) continue
    out.push({proto, address: hexAddress(hex), port: parseInt(port, 16), inode: f[9] ?? ''})
  }
  return out
}

function hexAddress(hex: string): string {
  const words = (hex.match(/.{8}/g) ?? []).map((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)))
  if (words.length === 1) return (words[0] ?? []).join('.')
  const bytes = words.flat()
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255) return bytes.slice(12).join('.')
  const groups: string[] = []
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16))
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')
}

function isLoopback(a: string): boolean {
  return a.startsWith('127.') || a === '::1'
}

/** Socket inode → process name, from /proc/<pid>/fd; processes we may not read are left out. */
function socketOwners(): Map<string, string> {
  const m = new Map<string, string>()
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const s = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
        if (s?.[1]) m.set(s[1], comm)
      }
    } catch {
      // A process that exited meanwhile, or one we may not look into.
    }
  }
  return m
}

interface FilesystemOptions {
  root: string
  allowPackages: readonly string[]
  allowProcesses: readonly string[]
  allowPorts: readonly number[]
}

interface FilesystemResult {
  findings: HostFinding[]
  config: DaemonConfig
  /** Every configuration read: the unit's, then each running dockerd's (root / only). */
  configs: DaemonConfig[]
  packages: number | null
  listening: Listener[] | null
  notChecked: Array<{check: string; why: string}>
}

const fsFinding = (s: Omit<Parameters<typeof hostFinding>[0], 'source'>) => hostFinding({...s, source: 'filesystem'})

export function auditFilesystem(o: FilesystemOptions): FilesystemResult {
  const findings: HostFinding[] = []
  const notChecked: FilesystemResult['notChecked'] = []
  const config = readDaemonConfig(o.root)
  // On this machine the running engines count too: started by hand or by a unit of another name, with any flags.
  const configs = [config, ...(o.root === '/' ? runningDockerd().map((r) => readDaemonConfig('/', r)) : [])]
  const seen = new Set<string>()
  const push = (f: HostFinding) => {
    if (!seen.has(f.fingerprint)) findings.push(f)
    seen.add(f.fingerprint)
  }
  for (const c of configs) {
    for (const p of c.problems)
      push(fsFinding({id: 'host.config.invalid', severity: 'medium', rule: 'daemon-tls', path: p.file,
        subject: p.message, title: 'Daemon configuration dockerd would reject', evidence: `${p.file}: ${p.message}`}))
    for (const h of c.hosts) {
      const addr = tcpAddress(h.url)
      if (addr === undefined) continue
      // The pid is for the reader; the fingerprint must survive a restart of the daemon.
      const path = h.from.replace(/ pid \d+/, '')
      if (!c.tls)
        push(fsFinding({id: 'host.config.tcp-plain', severity: 'critical', rule: 'daemon-tls', path,
          subject: h.url, title: 'Engine API on TCP without TLS',
          evidence: `${h.url} (${h.from}) with no tls/tlsverify: anyone who reaches ${addr} is root on the host`}))
      else if (!c.tlsverify)
        push(fsFinding({id: 'host.config.tls-no-verify', severity: 'high', rule: 'daemon-tls', path,
          subject: h.url, title: 'Engine API on TCP without client-certificate verification',
          evidence: `${h.url} (${h.from}) has TLS but tlsverify is off: any client is let in`}))
    }
  }
  for (const c of configs) checkModes(o.root, c, {push})
  dockerGroup(o.root, config, findings)
  const packages = checkPackages(o, findings, notChecked)
  let listening: Listener[] | null = null
  if (o.root === '/') listening = checkListeners(o, configs, findings)
  else notChecked.push({check: 'listening-sockets', why: '/proc is read only when --root is /'})
  return {findings, config, configs, packages, listening, notChecked}
}

function mode(root: string, rel: string): {mode: number; uid: number; gid: number} | undefined {
  try {
    const s = lstatSync(join(root, rel))
    return {mode: s.mode & 0o7777, uid: s.uid, gid: s.gid}
  } catch {
    return undefined
  }
}

/** `out` drops repeats: several running daemons can share a socket or key file. */
function checkModes(root: string, c: DaemonConfig, out: {push(f: HostFinding): void}): void {
  const sockets = new Set(['run/docker.sock', 'var/run/docker.sock'])
  for (const h of c.hosts) if (h.url.startsWith('unix://')) sockets.add(h.url.slice('unix://'.length).replace(/^\/+/, ''))
  for (const s of sockets) {
    const m = mode(root, s)
    if (m && m.mode & 0o006)
      out.push(fsFinding({id: 'host.file.socket-mode', severity: 'critical', rule: 'daemon-tls', path: s, subject: s,
        title: 'Engine socket open to every local user',
        evidence: `/${s} mode ${m.mode.toString(8)}: any local user is root on the host (want 660 root:docker)`}))
  }
  for (const [k, v] of [['tlskey', c.tlskey], ['tlscert', c.tlscert], ['tlscacert', c.tlscacert]] as const) {
    if (!v) continue
    const rel = v.replace(/^\/+/, '')
    const m = mode(root, rel)
    const loose = k === 'tlskey' ? 0o077 : 0o022
    if (m && m.mode & loose)
      out.push(fsFinding({id: 'host.file.tls-mode', severity: k === 'tlskey' ? 'high' : 'medium', rule: 'daemon-tls',
        path: rel, subject: k, title: `TLS ${k === 'tlskey' ? 'key' : 'file'} readable or writable by others`,
        evidence: `${k} /${rel} mode ${m.mode.toString(8)} (want ${k === 'tlskey' ? '400' : '444'})`}))
  }
  if (c.tlscacert) {
    const dir = dirname(c.tlscacert.replace(/^\/+/, ''))
    for (const f of ['ca-key.pem', 'ca.key', 'ca-key.key', 'cakey.pem']) {
      if (existsSync(join(root, dir, f)))
        out.push(fsFinding({id: 'host.file.ca-key', severity: 'high', rule: 'daemon-tls', path: join(dir, f), subject: f,
          title: 'CA private key on the engine host',
          evidence: `/${join(dir, f)} beside tlscacert: whoever reads it can mint client certificates`}))
    }
  }
  const cfg = 'etc/docker/daemon.json'
  const m = mode(root, cfg)
  if (m && m.mode & 0o002)
    out.push(fsFinding({id: 'host.file.config-mode', severity: 'high', rule: 'daemon-tls', path: cfg, subject: cfg,
      title: 'Daemon configuration writable by every user',
      evidence: `/${cfg} mode ${m.mode.toString(8)}: anyone can change how the engine listens`}))
}

function dockerGroup(root: string, c: DaemonConfig, out: HostFinding[]): void {
  const file = join(root, 'etc/group')
  if (!existsSync(file)) return
  const name = c.group ?? 'docker'
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [g, , , members] = line.split(':')
    if (g !== name) continue
    const users = (members ?? '').split(',').map((x) => x.trim()).filter(Boolean)
    if (users.length)
      out.push(fsFinding({id: 'host.user.docker-group', severity: 'medium', rule: 'daemon-tls', path: 'etc/group',
        subject: users.join(','), title: 'Users who can drive the engine',
        evidence: `group ${name}: ${users.join(', ')} (membership is root on the host)`}))
  }
}

/**
 * The base system and what it pulls in: a debootstrap minbase holds optional packages (zlib1g, logsave,
 * usr-is-merged) only because required ones depend on them. An extra's own dependencies stay extra.
 */
function baseClosure(pkgs: readonly Package[], isBase: (p: Package) => boolean): Set<string> {
  const byName = new Map(pkgs.map((p) => [p.name, p]))
  const base = new Set<string>()
  const todo = pkgs.filter(isBase)
  for (let p = todo.pop(); p; p = todo.pop()) {
    if (base.has(p.name)) continue
    base.add(p.name)
    for (const d of p.depends ?? []) {
      const dep = byName.get(d)
      if (dep && !base.has(d)) todo.push(dep)
    }
  }
  return base
}

function checkPackages(o: FilesystemOptions, out: HostFinding[], notChecked: FilesystemResult['notChecked']): number | null {
  const dpkg = join(o.root, 'var/lib/dpkg/status')
  const apk = join(o.root, 'lib/apk/db/installed')
  const [pkgs, path] = existsSync(dpkg)
    ? [dpkgInstalled(readFileSync(dpkg, 'utf8')), 'var/lib/dpkg/status']
    : existsSync(apk)
      ? [apkInstalled(readFileSync(apk, 'utf8')), 'lib/apk/db/installed']
      : [undefined, '']
  if (!pkgs) {
    notChecked.push({check: 'packages', why: 'no dpkg status nor apk database under the root'})
    return null
  }
  const allowed = new Set([...ENGINE_PACKAGES, ...SSH_PACKAGES, ...MONITORING_PACKAGES, ...BASE_EXTRA, ...o.allowPackages])
  const base = baseClosure(pkgs, (p) => allowed.has(p.name) || /^(required|important)$/.test(p.priority ?? '') || /^lib/.test(p.name))
  const extra = pkgs.filter((p) => !base.has(p.name))
  for (const p of extra.filter((x) => SERVER.test(x.name)))
    out.push(fsFinding({id: 'host.package.server', severity: 'high', rule: 'minimal-host', path, subject: p.name,
      title: 'Server installed on the docker host',
      evidence: `${p.name}: a service of its own beside the engine (seed: only docker, sshd and monitoring)`}))
  const others = extra.filter((x) => !SERVER.test(x.name)).map((x) => x.name).sort()
  if (others.length)
    out.push(fsFinding({id: 'host.package.extra', severity: 'medium', rule: 'minimal-host', path,
      subject: others.join(','), title: 'Packages beyond the base system, engine, sshd and monitoring',
      evidence: `${others.length} package(s): ${others.slice(0, 20).join(', ')}${others.length > 20 ? ', …' : ''}`}))
  return pkgs.length
}

function checkListeners(o: FilesystemOptions, cs: DaemonConfig[], out: HostFinding[]): Listener[] {
  const rows = (['tcp', 'tcp6'] as const).flatMap((p) => {
    try {
      return parseProcNet(readFileSync(`/proc/net/${p}`, 'utf8'), p)
    } catch {
      return []
    }
  })
  const owners = socketOwners()
  const enginePorts = new Set(cs.flatMap((c) => c.hosts).map((h) => tcpAddress(h.url)).filter(Boolean).map((a) => Number(/:(\d+)$/.exec(a ?? '')?.[1])))
  const allowProc = new Set([...ENGINE_PROCS, ...o.allowProcesses])
  for (const l of rows) {
    l.process = owners.get(l.inode)
    if (isLoopback(l.address)) continue
    if ((l.process && allowProc.has(l.process)) || o.allowPorts.includes(l.port) || enginePorts.has(l.port)) continue
    if (!l.process && l.port === 22) continue
    out.push(fsFinding({id: 'host.service.listening', severity: 'high', rule: 'minimal-host', path: `/proc/net/${l.proto}`,
      subject: `${l.address}:${l.port}`, title: 'Service listening beyond the engine, sshd and monitoring',
      evidence: `${l.process ?? 'unknown process'} listens on ${l.address}:${l.port}`}))
  }
  return rows
}
