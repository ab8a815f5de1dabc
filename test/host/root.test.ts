import test, {type ExecutionContext} from 'ava'
import {chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {dirname, join} from 'node:path'
import {auditHost, type HostReport} from '../../src/host/audit.js'
import {parseProcNet} from '../../src/host/filesystem.js'
import {isImgvetError} from '../../src/errors.js'
import {loadPolicy} from '../../src/policy/load.js'
import {makeTempDir, removeDir} from '../support/tmp.js'

/** Debian's docker.io unit, as host-compose.md §5.1 found it installed. */
const DEBIAN_UNIT = `[Service]
Type=notify
EnvironmentFile=-/etc/default/docker
ExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock $DOCKER_OPTS
ExecReload=/bin/kill -s HUP $MAINPID
`

const pkg = (name: string, priority: string, status = 'install ok installed') =>
  `Package: ${name}\nStatus: ${status}\nPriority: ${priority}\nArchitecture: amd64\nVersion: 1.0\n`
const BASE = [pkg('base-files', 'required'), pkg('dpkg', 'required'), pkg('apt', 'important'), pkg('docker.io', 'optional'),
  pkg('openssh-server', 'optional'), pkg('prometheus-node-exporter', 'optional'), pkg('libfoo1', 'optional'),
  pkg('removed-thing', 'optional', 'deinstall ok config-files')]

function fakeRoot(t: ExecutionContext, files: Record<string, string>): string {
  const root = makeTempDir('imgvet-host-root')
  t.teardown(() => removeDir(root))
  for (const [rel, body] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), {recursive: true})
    writeFileSync(join(root, rel), body)
  }
  return root
}

async function audit(root: string, extra: {allowPackages?: string[]} = {}): Promise<HostReport & {exitCode: number}> {
  const {report, exitCode} = await auditHost({root, policy: await loadPolicy('default'), ...extra})
  return {...report, exitCode}
}

const ids = (r: HostReport) => r.findings.map((f) => f.id).sort()

test('a minimal host (base, engine, sshd, monitoring) passes; engine checks and sockets are listed as not checked', async (t) => {
  const r = await audit(fakeRoot(t, {'var/lib/dpkg/status': BASE.join('\n'), 'lib/systemd/system/docker.service': DEBIAN_UNIT,
    'etc/default/docker': '# Debian default\n#DOCKER_OPTS="--dns 8.8.8.8"\n', 'etc/group': 'root:x:0:\ndocker:x:999:\n'}))
  t.deepEqual(ids(r), [])
  t.is(r.verdict, 'pass')
  t.is(r.exitCode, 0)
  t.is(r.sources.filesystem.packages, 7)
  t.deepEqual(r.sources.filesystem.read, ['etc/default/docker', 'lib/systemd/system/docker.service'])
  t.deepEqual(r.notChecked.map((n) => `${n.source}/${n.check}`), ['engine/tcp-probe', 'engine/engine-warnings',
    'engine/containers', 'engine/owners', 'filesystem/listening-sockets'])
})

test('servers on the host break minimal-host (high); other extras are medium; --allow-package lets one in', async (t) => {
  const root = fakeRoot(t, {'var/lib/dpkg/status': [...BASE, pkg('apache2', 'optional'), pkg('mysql-server-8.0', 'optional'),
    pkg('vim', 'optional'), pkg('git', 'optional')].join('\n')})
  const r = await audit(root)
  t.deepEqual(r.findings.map((f) => [f.id, f.severity, f.rule, f.source]), [
    ['host.package.server', 'high', 'minimal-host', 'filesystem'],
    ['host.package.server', 'high', 'minimal-host', 'filesystem'],
    ['host.package.extra', 'medium', 'minimal-host', 'filesystem'],
  ])
  t.regex(r.findings[0]!.evidence, /^apache2:/)
  t.regex(r.findings[1]!.evidence, /^mysql-server-8\.0:/)
  t.is(r.findings[2]!.evidence, '2 package(s): git, vim')
  t.is(r.exitCode, 1)
  const allowed = await audit(root, {allowPackages: ['vim', 'git', 'apache2']})
  t.deepEqual(allowed.findings.map((f) => f.evidence.split(':')[0]), ['mysql-server-8.0'])
})

test('an Alpine host: the apk database is read', async (t) => {
  const r = await audit(fakeRoot(t, {'lib/apk/db/installed': 'C:Q1x\nP:musl\nV:1\n\nC:Q1y\nP:busybox\nV:1\n\nP:docker\n\nP:nginx\nV:1\n'}))
  t.deepEqual(ids(r), ['host.package.extra', 'host.package.server'])
  t.is(r.sources.filesystem.packages, 4)
})

test('hosts in daemon.json on TCP without TLS is critical, also when the address is on its own line', async (t) => {
  const multiLine = '{\n  "hosts": [\n    "unix:///var/run/docker.sock",\n    "tcp://0.0.0.0:2375"\n  ],\n  "log-level": "info"\n}\n'
  const r = await audit(fakeRoot(t, {'etc/docker/daemon.json': multiLine}))
  t.deepEqual(r.findings.map((f) => [f.id, f.severity, f.path]), [['host.config.tcp-plain', 'critical', 'etc/docker/daemon.json']])
  // A schemeless address is TCP to dockerd, and a tcp:// inside log-opts is not a listener.
  const other = await audit(fakeRoot(t, {'etc/docker/daemon.json': JSON.stringify({hosts: ['127.0.0.1:2375'],
    'log-opts': {'syslog-address': 'tcp://192.0.2.1:514'}})}))
  t.deepEqual(ids(other), ['host.config.tcp-plain'])
})

test('tls: true with tlsverify: false is TLS without client verification (high); tlsverify: true passes', async (t) => {
  const noVerify = await audit(fakeRoot(t, {'etc/docker/daemon.json': JSON.stringify({hosts: ['tcp://0.0.0.0:2376'], tls: true,
    tlsverify: false, tlscert: '/etc/docker/server.pem', tlskey: '/etc/docker/server-key.pem'})}))
  t.deepEqual(noVerify.findings.map((f) => [f.id, f.severity]), [['host.config.tls-no-verify', 'high']])
  const verified = await audit(fakeRoot(t, {'etc/docker/daemon.json': JSON.stringify({hosts: ['tcp://0.0.0.0:2376'],
    tlsverify: true, tlscacert: '/etc/docker/ca.pem', tlscert: '/etc/docker/server.pem', tlskey: '/etc/docker/server-key.pem'})}))
  t.deepEqual(ids(verified), [])
})

test('-H tcp:// in a systemd drop-in and in DOCKER_OPTS is read, merged with daemon.json as dockerd merges them', async (t) => {
  const dropIn = '[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd:// -H tcp://0.0.0.0:2375 \\\n  --containerd=/run/c.sock\n'
  const r = await audit(fakeRoot(t, {'lib/systemd/system/docker.service': DEBIAN_UNIT,
    'etc/systemd/system/docker.service.d/override.conf': dropIn}))
  t.deepEqual(r.findings.map((f) => [f.id, f.path]), [['host.config.tcp-plain', 'docker.service ExecStart']])
  t.true(r.sources.filesystem.read!.includes('etc/systemd/system/docker.service.d/override.conf'))
  const opts = await audit(fakeRoot(t, {'lib/systemd/system/docker.service': DEBIAN_UNIT,
    'etc/default/docker': 'DOCKER_OPTS="-H tcp://0.0.0.0:2376 --tlsverify=false --tls"\n'}))
  t.deepEqual(ids(opts), ['host.config.tls-no-verify'])
  // The flag and the file together: -H on the command line, tlsverify in daemon.json (docker-bench's jq-key miss).
  const split = await audit(fakeRoot(t, {'lib/systemd/system/docker.service': DEBIAN_UNIT,
    'etc/default/docker': 'DOCKER_OPTS="-H tcp://0.0.0.0:2376"\n',
    'etc/docker/daemon.json': JSON.stringify({tlsverify: true, tlscacert: '/c/ca.pem'})}))
  t.deepEqual(ids(split), [])
  const reset = await audit(fakeRoot(t, {'lib/systemd/system/docker.service': DEBIAN_UNIT,
    'etc/default/docker': 'DOCKER_OPTS="-H tcp://0.0.0.0:2375"\n',
    'etc/systemd/system/docker.service.d/10-clean.conf': '[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd://\n'}))
  t.deepEqual(ids(reset), [], 'a drop-in that replaces ExecStart drops $DOCKER_OPTS')
})

test('a daemon.json dockerd would reject is reported, not silently read as empty', async (t) => {
  const r = await audit(fakeRoot(t, {'etc/docker/daemon.json': '{"hosts": ["tcp://0.0.0.0:2375"],}'}))
  t.deepEqual(ids(r), ['host.config.invalid'])
  t.regex(r.findings[0]!.evidence, /not valid JSON/)
})

test('file modes: a socket anyone can open, a readable TLS key, a CA private key on the host; docker group members', async (t) => {
  const root = fakeRoot(t, {
    'etc/docker/daemon.json': JSON.stringify({hosts: ['tcp://0.0.0.0:2376'], tlsverify: true, tlscacert: '/etc/docker/certs/ca.pem',
      tlscert: '/etc/docker/certs/server.pem', tlskey: '/etc/docker/certs/server-key.pem'}),
    'etc/docker/certs/ca.pem': 'x', 'etc/docker/certs/ca-key.pem': 'x', 'etc/docker/certs/server.pem': 'x',
    'etc/docker/certs/server-key.pem': 'x',
    'etc/group': 'root:x:0:\nsudo:x:27:alice\ndocker:x:999:alice,bob\n',
  })
  chmodSync(join(root, 'etc/docker/certs/server-key.pem'), 0o644)
  chmodSync(join(root, 'etc/docker/certs/server.pem'), 0o444)
  chmodSync(join(root, 'etc/docker/certs/ca.pem'), 0o444)
  mkdirSync(join(root, 'run'))
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(join(root, 'run/docker.sock'), resolve))
  t.teardown(() => server.close())
  chmodSync(join(root, 'run/docker.sock'), 0o666)
  const r = await audit(root)
  t.deepEqual(ids(r), ['host.file.ca-key', 'host.file.socket-mode', 'host.file.tls-mode', 'host.user.docker-group'])
  t.regex(r.findings.find((f) => f.id === 'host.file.socket-mode')!.evidence, /mode 666/)
  t.regex(r.findings.find((f) => f.id === 'host.file.tls-mode')!.evidence, /tlskey \/etc\/docker\/certs\/server-key.pem mode 644/)
  t.is(r.findings.find((f) => f.id === 'host.user.docker-group')!.evidence, 'group docker: alice, bob (membership is root on the host)')
  chmodSync(join(root, 'run/docker.sock'), 0o660)
  chmodSync(join(root, 'etc/docker/certs/server-key.pem'), 0o400)
  t.deepEqual(ids(await audit(root)), ['host.file.ca-key', 'host.user.docker-group'])
})

test('listening sockets: /proc/net/tcp rows parsed, a loopback listener of this process is seen and not reported', async (t) => {
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const port = (server.address() as {port: number}).port
  const rows = parseProcNet(readFileSync('/proc/net/tcp', 'utf8'), 'tcp')
  t.true(rows.some((l) => l.address === '127.0.0.1' && l.port === port))
  const v6 = parseProcNet(['  sl  local_address rem_address   st', '   0: 00000000000000000000000000000000:0016 ' +
    '00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1',
  '   1: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 0 0 0 0 0 4243 1'].join('\n'), 'tcp6')
  t.deepEqual(v6.map((l) => [l.address, l.port, l.inode]), [['::', 22, '4242'], ['::1', 8080, '4243']])
  if (!existsSync('/var/lib/dpkg/status')) return t.log('no dpkg status on this machine')
  const r = await audit('/')
  t.truthy(r.sources.filesystem.packages)
  t.false(r.findings.some((f) => f.id === 'host.service.listening' && f.evidence.endsWith(`:${port}`)))
  t.false(r.notChecked.some((n) => n.check === 'listening-sockets'))
})

test('bad input: no source at all, a root that is not a directory, a --host that is no engine URL', async (t) => {
  const policy = await loadPolicy('default')
  for (const [o, code] of [[{}, 'usage'], [{root: '/nonexistent-imgvet'}, 'bad-input'],
    [{engine: {url: 'http://x:1'}}, 'usage']] as const) {
    const e = await t.throwsAsync(auditHost({policy, ...o}))
    t.true(isImgvetError(e) && e.code === code && e.exitCode === 2, String(e))
  }
})

test('-H fd:// takes docker.socket: a TCP ListenStream there is a TCP endpoint; its socket path gets the mode check', async (t) => {
  const root = fakeRoot(t, {'lib/systemd/system/docker.service': DEBIAN_UNIT,
    'lib/systemd/system/docker.socket': '[Socket]\nListenStream=/run/docker.sock\nSocketMode=0660\n',
    'etc/systemd/system/docker.socket.d/tcp.conf': '[Socket]\nListenStream=2375\n'})
  const r = await audit(root)
  t.deepEqual(r.findings.map((f) => [f.id, f.path]), [['host.config.tcp-plain', 'docker.socket ListenStream']])
  t.regex(r.findings[0]!.evidence, /^tcp:\/\/0\.0\.0\.0:2375 /)
  t.true(r.sources.filesystem.read!.includes('etc/systemd/system/docker.socket.d/tcp.conf'))
  // A drop-in that empties ListenStream and names only a path removes the TCP listener.
  writeFileSync(join(root, 'etc/systemd/system/docker.socket.d/tcp.conf'), '[Socket]\nListenStream=\nListenStream=/run/d.sock\n')
  t.deepEqual(ids(await audit(root)), [])
})
