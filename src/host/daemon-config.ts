import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {isObject} from '../json.js'

/** The daemon settings that decide who can reach the API, merged from every place dockerd reads them. */
export interface DaemonConfig {
  hosts: Array<{url: string; from: string}>
  tls: boolean
  tlsverify: boolean
  tlscacert?: string
  tlscert?: string
  tlskey?: string
  group?: string
  /** Files read, for the report (relative to the root). */
  read: string[]
  problems: Array<{file: string; message: string}>
}

const UNIT_DIRS = ['lib/systemd/system', 'usr/lib/systemd/system', 'etc/systemd/system']

/** Splits a command line as systemd does for ExecStart: whitespace, with single and double quotes. */
function splitArgs(line: string): string[] {
  const out: string[] = []
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3] ?? '')
  return out
}

/** `DOCKER_OPTS="…"` of /etc/default/docker (a shell file; only plain assignments are understood). */
function defaultOpts(text: string): string {
  let v = ''
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?DOCKER_OPTS=(?:"([^"]*)"|'([^']*)'|(\S*))\s*(?:#.*)?$/.exec(line)
    if (m) v = m[1] ?? m[2] ?? m[3] ?? ''
  }
  return v
}

/**
 * The values of `key` in a unit, then in each drop-in in name order (the unit in /etc overrides the one in /lib);
 * an empty assignment clears the list, which is how a drop-in replaces the packaged ExecStart or ListenStream.
 */
function unitValues(root: string, unit: string, key: string, read: string[]): string[] {
  const files = UNIT_DIRS.filter((d) => existsSync(join(root, d, unit))).map((d) => join(d, unit))
  const dropins = UNIT_DIRS.flatMap((d) => {
    const dir = join(root, d, `${unit}.d`)
    if (!existsSync(dir)) return []
    return readdirSync(dir).filter((f) => f.endsWith('.conf')).map((f) => ({name: f, path: join(d, `${unit}.d`, f)}))
  }).sort((a, b) => a.name.localeCompare(b.name))
  let values: string[] = []
  for (const rel of [...files.slice(-1), ...dropins.map((x) => x.path)]) {
    if (!read.includes(rel)) read.push(rel)
    const text = readFileSync(join(root, rel), 'utf8').replace(/\\\n/g, ' ')
    for (const line of text.split('\n')) {
      const m = new RegExp(`^\\s*${key}\\s*=\\s*(.*)$`).exec(line)
      if (!m) continue
      const v = (m[1] ?? '').trim()
      values = v ? [...values, v] : []
    }
  }
  return values
}

/** The ExecStart that wins (a service has one; the last assignment after any reset). */
function execStart(root: string, read: string[]): string | undefined {
  return unitValues(root, 'docker.service', 'ExecStart', read).at(-1)
}

/** `-H fd://` takes systemd's sockets: docker.socket's ListenStream, a path or a TCP `[addr:]port`. */
function socketUnitHosts(root: string, read: string[]): string[] {
  return unitValues(root, 'docker.socket', 'ListenStream', read).map((v) =>
    v.startsWith('/') ? `unix://${v}` : `tcp://${/^\d+$/.test(v) ? `0.0.0.0:${v}` : v}`)
}

interface Flags {
  hosts: string[]
  tls?: boolean
  tlsverify?: boolean
  tlscacert?: string
  tlscert?: string
  tlskey?: string
  group?: string
  configFile?: string
}

/** dockerd's flags that matter here; `--flag=value`, `--flag value`, `-Hvalue` and `--tlsverify=false` all occur. */
function parseFlags(args: readonly string[]): Flags {
  const f: Flags = {hosts: []}
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? ''
    const eq = a.indexOf('=')
    const [name, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined]
    const value = (): string => inline ?? args[++i] ?? ''
    const bool = (): boolean => inline === undefined || !/^(false|0)$/i.test(inline)
    if (name === '-H' || name === '--host') f.hosts.push(value())
    else if (/^-H./.test(name)) f.hosts.push(name.slice(2).replace(/^=/, ''))
    else if (name === '--tls') f.tls = bool()
    else if (name === '--tlsverify') f.tlsverify = bool()
    else if (name === '--tlscacert') f.tlscacert = value()
    else if (name === '--tlscert') f.tlscert = value()
    else if (name === '--tlskey') f.tlskey = value()
    else if (name === '-G' || name === '--group') f.group = value()
    else if (name === '--config-file') f.configFile = value()
  }
  return f
}

/**
 * Flags (unit ExecStart with $DOCKER_OPTS expanded, or DOCKER_OPTS alone) and daemon.json merged as dockerd merges
 * them: a setting from either place applies; `tlsverify` implies TLS; `"tlsverify": false` leaves `tls` as set.
 */
export function readDaemonConfig(root: string, running?: {pid: string; args: string[]}): DaemonConfig {
  const read: string[] = []
  const problems: DaemonConfig['problems'] = []
  let flags: Flags
  let from: string
  if (running) {
    // What the process was started with wins over what the unit says it would be started with.
    flags = parseFlags(running.args.slice(1))
    from = `dockerd pid ${running.pid} command line`
    read.push(`/proc/${running.pid}/cmdline`)
  } else {
    let opts = ''
    if (existsSync(join(root, 'etc/default/docker'))) {
      read.push('etc/default/docker')
      opts = defaultOpts(readFileSync(join(root, 'etc/default/docker'), 'utf8'))
    }
    const exec = execStart(root, read)
    const args = splitArgs(exec ? exec.replace(/\$\{DOCKER_OPTS\}|\$DOCKER_OPTS\b/g, opts) : opts)
    flags = parseFlags(exec ? args.slice(1) : args)
    from = exec ? 'docker.service ExecStart' : 'DOCKER_OPTS'
  }
  const fileRel = (flags.configFile ?? '/etc/docker/daemon.json').replace(/^\/+/, '')
  let file: Record<string, unknown> = {}
  if (existsSync(join(root, fileRel))) {
    read.push(fileRel)
    try {
      const parsed: unknown = JSON.parse(readFileSync(join(root, fileRel), 'utf8'))
      if (isObject(parsed)) file = parsed
      else problems.push({file: fileRel, message: 'not a JSON object'})
    } catch (e) {
      problems.push({file: fileRel, message: `not valid JSON (${(e as Error).message.slice(0, 80)})`})
    }
  }
  const str = (k: string) => (typeof file[k] === 'string' ? (file[k] as string) : undefined)
  const boo = (k: string) => (typeof file[k] === 'boolean' ? (file[k] as boolean) : undefined)
  const fileHosts = Array.isArray(file['hosts']) ? file['hosts'].filter((h): h is string => typeof h === 'string') : []
  if (flags.hosts.length > 0 && fileHosts.length > 0)
    problems.push({file: fileRel, message: 'hosts set both as -H flags and in the file: dockerd refuses to start'})
  const tlsverify = flags.tlsverify ?? boo('tlsverify') ?? false
  const all = [...flags.hosts.map((url) => ({url, from})), ...fileHosts.map((url) => ({url, from: fileRel}))]
  if (!running && all.some((h) => h.url.startsWith('fd://')))
    all.push(...socketUnitHosts(root, read).map((url) => ({url, from: 'docker.socket ListenStream'})))
  return {
    hosts: all,
    tls: tlsverify || (flags.tls ?? boo('tls') ?? false),
    tlsverify,
    tlscacert: flags.tlscacert ?? str('tlscacert'),
    tlscert: flags.tlscert ?? str('tlscert'),
    tlskey: flags.tlskey ?? str('tlskey'),
    group: flags.group ?? str('group'),
    read,
    problems,
  }
}

/** dockerd processes of this machine and their arguments (only meaningful for the root `/`). */
export function runningDockerd(): Array<{pid: string; args: string[]}> {
  const out: Array<{pid: string; args: string[]}> = []
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'dockerd') continue
      out.push({pid, args: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)})
    } catch {
      // Exited meanwhile, or not ours to read.
    }
  }
  return out
}

/** A host entry dockerd serves over TCP: `tcp://…`, or an address without a scheme (dockerd reads it as TCP). */
export function tcpAddress(url: string): string | undefined {
  if (/^(unix|fd|npipe|ssh):\/\//.test(url)) return undefined
  return url.replace(/^tcp:\/\//, '')
}
