import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import {join} from 'node:path'
import {run} from './exec.js'
import {makeTarItems} from './hostile-image.js'
import {removeDir} from './tmp.js'

/** A CA, a server certificate for 127.0.0.1 and a client certificate, as docker's protect-access guide makes them. */
export interface EngineCerts {
  ca: string
  caKey: string
  serverCert: string
  serverKey: string
  clientCert: string
  clientKey: string
}

export async function makeEngineCerts(dir: string): Promise<EngineCerts> {
  mkdirSync(dir, {recursive: true})
  const p = (f: string) => join(dir, f)
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('ca-key.pem'), '-out', p('ca.pem'),
    '-days', '2', '-subj', '/CN=imgvet-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  for (const [name, ext] of [['server', 'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost'],
    ['client', 'extendedKeyUsage=clientAuth']] as const) {
    await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p(`${name}-key.pem`), '-out', p(`${name}.csr`),
      '-subj', `/CN=imgvet-test-${name}`])
    writeFileSync(p(`${name}.ext`), `basicConstraints=CA:FALSE\n${ext}\n`)
    await run('openssl', ['x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.pem'), '-CAkey', p('ca-key.pem'),
      '-CAcreateserial', '-out', p(`${name}-cert.pem`), '-days', '2', '-extfile', p(`${name}.ext`)])
  }
  return {ca: p('ca.pem'), caKey: p('ca-key.pem'), serverCert: p('server-cert.pem'), serverKey: p('server-key.pem'),
    clientCert: p('client-cert.pem'), clientKey: p('client-key.pem')}
}

export interface Engine {
  dir: string
  sock: string
  pid: number
  stop(): Promise<void>
}

function ping(at: string): Promise<boolean> {
  const tcp = /^tcp:\/\/([\d.]+):(\d+)$/.exec(at)
  const where = tcp ? {host: tcp[1], port: Number(tcp[2])} : {socketPath: at}
  return new Promise((resolve) => {
    const req = http.get({...where, path: '/_ping', timeout: 1000}, (res) => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.on('error', () => resolve(false))
    req.on('timeout', () => req.destroy())
  })
}

/** Mounts a daemon leaves under its directory (netns, data-root binds), deepest first so each umount succeeds. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length)
}

async function startProcess(cmd: string, args: string[], dir: string, sock: string, more: string[] = []): Promise<Engine> {
  const log = join(dir, 'engine.log')
  const child = spawn(cmd, args, {stdio: ['ignore', 'ignore', 'pipe'], detached: false})
  const err: Buffer[] = []
  child.stderr?.on('data', (d: Buffer) => err.push(d))
  let exited = false
  const gone = new Promise<void>((resolve) => child.on('exit', () => {
    exited = true
    resolve()
  }))
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await gone
      clearTimeout(t)
    }
    writeFileSync(log, Buffer.concat(err))
    for (const d of [dir, ...more]) {
      for (const m of mountsUnder(d)) await run('umount', ['-l', m], {allowFail: true})
      removeDir(d)
    }
  }
  const deadline = Date.now() + 30_000
  while (!(await ping(sock))) {
    if (exited || Date.now() > deadline) {
      await stop().catch(() => undefined)
      throw new Error(`${cmd} did not come up: ${Buffer.concat(err).toString('utf8').slice(-1500)}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {dir, sock, pid: child.pid ?? 0, stop}
}

/**
 * dockerd as host-compose.md §5.2 runs it: no iptables, no bridge, vfs, every path under `dir`; TCP only on
 * 127.0.0.1. `tcp` settings go in daemon.json (`file`) or on the command line (`flags`), the two places audits read.
 */
export async function startDockerd(dir: string, o: {file?: Record<string, unknown>; flags?: string[]} = {}): Promise<Engine> {
  mkdirSync(dir, {recursive: true})
  const sock = join(dir, 'docker.sock')
  const config = join(dir, 'daemon.json')
  writeFileSync(config, JSON.stringify(o.file ?? {}, null, 2))
  for (const a of [...(o.flags ?? []), ...((o.file?.['hosts'] as string[] | undefined) ?? [])]) {
    if (/^tcp:\/\//.test(a) && !a.startsWith('tcp://127.0.0.1:')) throw new Error(`refusing to bind ${a}: loopback only`)
  }
  // With hosts in daemon.json the socket must be there too: dockerd refuses hosts given in both places.
  const hosts = o.file?.['hosts'] ? [] : ['-H', `unix://${sock}`]
  if (o.file?.['hosts']) writeFileSync(config, JSON.stringify({...o.file, hosts: [`unix://${sock}`, ...(o.file['hosts'] as string[])]}))
  return startProcess('dockerd', [`--config-file=${config}`, ...hosts, ...(o.flags ?? []), '--iptables=false',
    '--ip6tables=false', '--bridge=none', '--storage-driver=vfs', `--data-root=${join(dir, 'root')}`,
    `--exec-root=${join(dir, 'exec')}`, `--pidfile=${join(dir, 'dockerd.pid')}`], dir, sock)
}

/**
 * podman's Docker-compatible API (§5.3) on a unix socket, or plain TCP on 127.0.0.1 (podman 4.3 has no TLS); nothing
 * is run, so its rlimit failure here does not matter. `sock` is then the tcp:// URL.
 */
export async function startPodman(dir: string, tcp?: string): Promise<Engine> {
  mkdirSync(dir, {recursive: true})
  if (tcp && !/^tcp:\/\/127\.0\.0\.1:\d+$/.test(tcp)) throw new Error(`refusing to bind ${tcp}: loopback only`)
  const sock = tcp ?? join(dir, 'podman.sock')
  // podman refuses a runroot over 50 characters, which the shared test root already nearly is: a short one in /tmp.
  const runroot = mkdtempSync('/tmp/ivpm-')
  const e = await startProcess('podman', ['--root', join(dir, 'root'), '--runroot', runroot, '--storage-driver', 'vfs',
    '--tmpdir', join(dir, 'tmp'), 'system', 'service', '--time=0', tcp ?? `unix://${sock}`], dir, sock, [runroot])
  return e
}

/** A docker-archive of busybox-static: what `docker load` takes, made without any registry or builder. */
export async function busyboxArchive(file: string, tag = 'imgvet/busybox:test'): Promise<void> {
  const layer = await makeTarItems([
    {name: 'bin/'},
    {name: 'bin/busybox', content: readFileSync('/bin/busybox'), mode: 0o755},
    {name: 'bin/sh', type: 'symlink', linkname: 'busybox'},
    {name: 'etc/'},
    {name: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n'},
    {name: 'etc/group', content: 'root:x:0:\nnogroup:x:65534:\n'},
  ])
  const diffId = `sha256:${createHash('sha256').update(layer).digest('hex')}`
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2026-01-01T00:00:00Z',
    config: {Cmd: ['/bin/sh'], ExposedPorts: {'3306/tcp': {}}, Labels: {'org.example': 'imgvet-test'}},
    rootfs: {type: 'layers', diff_ids: [diffId]},
  }))
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`
  const manifest = JSON.stringify([{Config: configName, RepoTags: [tag], Layers: ['layer/layer.tar']}])
  writeFileSync(file, await makeTarItems([
    {name: 'layer/'},
    {name: 'layer/layer.tar', content: layer},
    {name: configName, content: config},
    {name: 'manifest.json', content: manifest},
  ]))
}

/** The docker CLI against one engine; never pulls (the rig has no registry of docker.io's). */
export function docker(sock: string, args: readonly string[]) {
  return run('docker', ['-H', sock.startsWith('tcp://') ? sock : `unix://${sock}`, ...args])
}
