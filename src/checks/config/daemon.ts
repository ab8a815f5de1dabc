import type {Finding} from '../../findings/finding.js'
import {configFinding, type ImageCheck, type ImageCheckContext} from './types.js'

/**
 * The seed rule "reach the Docker daemon only over authenticated TLS", as far as an image can break it: a client
 * pointed at a daemon without TLS client verification (DOCKER_HOST), or an image that runs or configures a daemon
 * listening on TCP without `tlsverify`. Either way anyone who reaches the port controls the host as root.
 */
const DAEMON_CONFIG = '/etc/docker/daemon.json'

const PLAINTEXT_PORT = '2375'

function env(ctx: ImageCheckContext): Map<string, string> {
  const out = new Map<string, string>()
  for (const e of ctx.config.config?.Env ?? []) {
    const i = e.indexOf('=')
    if (i > 0) out.set(e.slice(0, i), e.slice(i + 1))
  }
  return out
}

/** Userinfo in a host URL would be a credential: never repeated in evidence. */
function safeHost(h: string): string {
  return h.replace(/\/\/[^/@]*@/, '//***@')
}

/** The port of a tcp:// or http:// host ('' when none is given); undefined for unix://, ssh:// and the like. */
function tcpPort(host: string): string | undefined {
  const m = /^(?:tcp|http):\/\/(?:[^/@]*@)?(\[[^\]]*\]|[^:/]*)(?::(\d+))?/i.exec(host.trim())
  if (!m) return undefined
  return m[2] ?? ''
}

function clientFindings(ctx: ImageCheckContext): Finding[] {
  const vars = env(ctx)
  const host = vars.get('DOCKER_HOST')
  if (host === undefined) return []
  const port = tcpPort(host)
  if (port === undefined) return []
  // As the docker CLI reads it: any non-empty DOCKER_TLS_VERIFY turns verification on.
  const verify = (vars.get('DOCKER_TLS_VERIFY') ?? '') !== ''
  const tls = verify || (vars.get('DOCKER_TLS') ?? '') !== ''
  if (verify) return []
  const why = tls ? 'TLS without DOCKER_TLS_VERIFY: the daemon is not verified and the client presents no certificate'
    : `no DOCKER_TLS_VERIFY: plain TCP${port === PLAINTEXT_PORT ? ' to the daemon\'s plaintext port' : ''}`
  return [configFinding({
    id: 'config.daemon.client-without-tls',
    severity: 'high',
    title: 'Image talks to a Docker daemon without authenticated TLS',
    rule: 'daemon-tls',
    evidence: `ENV DOCKER_HOST=${safeHost(host)}: ${why}`,
    subject: safeHost(host),
    note: 'set DOCKER_TLS_VERIFY=1 with client certificates mounted at run time, or use ssh://',
  })]
}

function listensInsecurely(hosts: readonly string[], tlsverify: boolean): string | undefined {
  return tlsverify ? undefined : hosts.find((h) => /^(tcp|http):\/\//i.test(h.trim()))
}

/** `dockerd -H tcp://0.0.0.0:2375`, `--host=tcp://...`, with or without `--tlsverify`, in ENTRYPOINT + CMD. */
function commandFindings(ctx: ImageCheckContext): Finding[] {
  const argv = [...(ctx.config.config?.Entrypoint ?? []), ...(ctx.config.config?.Cmd ?? [])]
  // A shell form (`sh -c "dockerd -H ..."`) arrives as one string: split it so the flags are seen either way.
  const words = argv.flatMap((a) => a.split(/\s+/)).filter(Boolean)
  if (!words.some((w) => /(^|\/)dockerd$/.test(w))) return []
  const hosts: string[] = []
  words.forEach((w, i) => {
    if ((w === '-H' || w === '--host') && words[i + 1]) hosts.push(words[i + 1] as string)
    const eq = /^(?:-H|--host)=(.+)$/.exec(w)
    if (eq?.[1]) hosts.push(eq[1])
  })
  const tlsverify = words.some((w) => w === '--tlsverify' || w === '--tlsverify=true')
  const open = listensInsecurely(hosts, tlsverify)
  if (!open) return []
  return [configFinding({
    id: 'config.daemon.listens-without-tlsverify',
    severity: 'high',
    title: 'Image runs a Docker daemon on TCP without TLS client verification',
    rule: 'daemon-tls',
    evidence: `dockerd -H ${safeHost(open)} without --tlsverify (ENTRYPOINT/CMD)`,
    subject: `cmd ${safeHost(open)}`,
  })]
}

function daemonJsonFindings(ctx: ImageCheckContext): Finding[] {
  const raw = ctx.view.files.get(DAEMON_CONFIG)
  if (!raw) return []
  let conf: {hosts?: unknown; tlsverify?: unknown}
  try {
    conf = JSON.parse(raw.toString('utf8')) as typeof conf
  } catch {
    // dockerd refuses to start on an unparsable daemon.json: nothing listens because of it.
    return []
  }
  const hosts = Array.isArray(conf.hosts) ? conf.hosts.filter((h): h is string => typeof h === 'string') : []
  const open = listensInsecurely(hosts, conf.tlsverify === true)
  if (!open) return []
  const entry = ctx.view.entries.get(DAEMON_CONFIG)
  return [configFinding({
    id: 'config.daemon.listens-without-tlsverify',
    severity: 'high',
    title: 'Image runs a Docker daemon on TCP without TLS client verification',
    rule: 'daemon-tls',
    evidence: `"hosts" includes ${safeHost(open)} and "tlsverify" is not true`,
    subject: `daemon.json ${safeHost(open)}`,
    path: DAEMON_CONFIG,
    layer: entry?.layer ?? null,
  })]
}

function exposeFindings(ctx: ImageCheckContext): Finding[] {
  const exposed = Object.keys(ctx.config.config?.ExposedPorts ?? {})
  if (!exposed.some((p) => p === PLAINTEXT_PORT || p === `${PLAINTEXT_PORT}/tcp`)) return []
  return [configFinding({
    id: 'config.daemon.plaintext-port',
    severity: 'high',
    title: 'Image exposes the Docker daemon\'s plaintext port 2375',
    rule: 'daemon-tls',
    evidence: 'EXPOSE 2375/tcp: the unauthenticated daemon API; serve it on 2376 with --tlsverify',
    subject: '2375/tcp',
  })]
}

export const daemonTlsCheck: ImageCheck = {
  id: 'config.daemon',
  version: 1,
  rule: 'daemon-tls',
  findingIds: ['config.daemon.client-without-tls', 'config.daemon.listens-without-tlsverify', 'config.daemon.plaintext-port'],
  run(ctx: ImageCheckContext): Finding[] {
    return [...clientFindings(ctx), ...commandFindings(ctx), ...daemonJsonFindings(ctx), ...exposeFindings(ctx)]
  },
}
