import test from 'ava'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {auditHost, type HostReport} from '../../src/host/audit.js'
import type {EngineTarget} from '../../src/host/engine.js'
import {loadPolicy} from '../../src/policy/load.js'
import {ensureBuilt} from '../support/build.js'
import {runCli} from '../support/cli.js'
import {busyboxArchive, docker, makeEngineCerts, startDockerd, type Engine, type EngineCerts} from '../support/dockerd.js'
import {freePort} from '../support/net.js'
import {makeTempDir, removeDir} from '../support/tmp.js'

// Three real dockerd, one per TCP mode, started once for the file (each ~1 s; see the timing note printed below).
let dir = ''
let certs: EngineCerts
const engines: Record<'plain' | 'tls' | 'mtls', Engine> = {} as never
const ports = {plain: 0, tls: 0, mtls: 0}
const SECRET = 'Zq8v-Hunter2-Secret-Value-77x'

test.before(async (t) => {
  dir = makeTempDir('imgvet-host-dockerd')
  certs = await makeEngineCerts(join(dir, 'certs'))
  for (const k of ['plain', 'tls', 'mtls'] as const) ports[k] = await freePort()
  const t0 = Date.now()
  const tlsFiles = {tlscert: certs.serverCert, tlskey: certs.serverKey}
  const [plain, tls, mtls] = await Promise.all([
    startDockerd(join(dir, 'plain'), {file: {hosts: [`tcp://127.0.0.1:${ports.plain}`]}}),
    startDockerd(join(dir, 'tls'), {file: {hosts: [`tcp://127.0.0.1:${ports.tls}`], tls: true, tlsverify: false, ...tlsFiles}}),
    startDockerd(join(dir, 'mtls'), {flags: ['-H', `tcp://127.0.0.1:${ports.mtls}`, '--tlsverify', `--tlscacert=${certs.ca}`,
      `--tlscert=${certs.serverCert}`, `--tlskey=${certs.serverKey}`]}),
  ])
  Object.assign(engines, {plain: plain!, tls: tls!, mtls: mtls!})
  t.log(`three dockerd up in ${Date.now() - t0} ms`)
  const archive = join(dir, 'busybox.tar')
  await busyboxArchive(archive)
  const sock = engines.mtls.sock
  await docker(sock, ['load', '-i', archive])
  const create = (name: string, args: string[]) =>
    docker(sock, ['create', '--pull=never', '--network', 'none', '--name', name, ...args, 'imgvet/busybox:test'])
  await create('risky', ['--privileged', '--pid', 'host', '--ipc', 'host', '--user', '0', '-v', `${sock}:/var/run/docker.sock`,
    '-v', '/etc:/host-etc:ro', '--cap-add', 'SYS_ADMIN', '--security-opt', 'seccomp=unconfined', '-e', `DB_PASSWORD=${SECRET}`,
    '--label', 'imgvet.owner=team-a', '--label', 'imgvet.sensitivity=confidential'])
  await create('hardened', ['--user', '65534:65534', '--read-only', '--cap-drop', 'ALL', '--security-opt',
    'no-new-privileges', '--memory', '64m', '--label', 'imgvet.owner=team-a', '--label', 'imgvet.sensitivity=confidential'])
  await create('web', ['--user', '33', '-p', '8080:80', '-p', '127.0.0.1:3306:3306', '-p', '[::]:8443:443', '--label', 'imgvet.owner=team-b',
    '--label', 'imgvet.sensitivity=public'])
  await create('nolabel', [])
  await create('shop', ['--user', '1000', '--label', 'com.docker.compose.project=shop'])
  t.log(`load + 5 creates done at ${Date.now() - t0} ms`)
})

test.after.always(async () => {
  await Promise.all(Object.values(engines).map((e) => e.stop()))
  if (dir) removeDir(dir)
})

const policy = () => loadPolicy('default')
const mtlsTarget = (withCert: boolean): EngineTarget => ({
  url: `tcp://127.0.0.1:${ports.mtls}`,
  ca: readFileSync(certs.ca),
  ...(withCert ? {cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey)} : {}),
})
// The containers' own findings; their image's are asserted on their own below.
const ids = (r: HostReport, container?: string) =>
  r.findings.filter((f) => f.id.startsWith('host.') && (container === undefined || f.container === container)).map((f) => f.id).sort()

test('mutual TLS passes the probe, reports the server certificate and audits created containers', async (t) => {
  const {report, exitCode} = await auditHost({engine: mtlsTarget(true), policy: await policy()})
  const e = report.sources.engine
  t.is(e.status, 'used')
  t.is(e.transport, 'mutual-tls')
  t.is(e.detail, undefined)
  t.is(e.product, 'docker')
  t.is(e.serverCert?.subject, 'imgvet-test-server')
  t.true(e.serverCert!.daysLeft >= 1 && e.serverCert!.daysLeft <= 2)
  // dockerd 20.10 refuses TLS 1.1 (host-compose.md §5.2: protocol_version alert); 1.2 is answered with a cert alert.
  t.deepEqual(e.probe?.tlsVersions, ['TLSv1.2', 'TLSv1.3'])
  // The test CA signs for two days: under 30 days left is reported, low, and does not fail the host.
  const tls = report.findings.filter((f) => f.rule === 'daemon-tls' && f.path === report.host)
  t.deepEqual(tls.map((f) => [f.id, f.severity]), [['host.engine.cert-expiry', 'low']])
  t.regex(tls[0]!.evidence, /imgvet-test-server valid until 20\d\d-.*\((1|2) days\)/)
  t.deepEqual(report.containers.map((c) => c.name).sort(), ['hardened', 'nolabel', 'risky', 'shop', 'web'])
  // None of them runs: docker-bench skips exactly these.
  t.true(report.containers.every((c) => c.state === 'created'))
  t.deepEqual(ids(report, 'risky'), ['host.container.capability', 'host.container.engine-socket',
    'host.container.env-secret', 'host.container.host-namespace', 'host.container.host-namespace',
    'host.container.privileged', 'host.container.sensitive-mount', 'host.container.unconfined',
    'host.container.unconfined', 'host.container.user-root'])
  // dockerd adds label=disable to a privileged container on its own: both it and seccomp=unconfined are reported.
  t.deepEqual(report.findings.filter((f) => f.container === 'risky' && f.id === 'host.container.unconfined')
    .map((f) => f.evidence).sort(), ['risky: SecurityOpt label=disable', 'risky: SecurityOpt seccomp=unconfined'])
  t.is(report.findings.find((f) => f.container === 'risky' && f.id === 'host.container.user-root')?.severity, 'high')
  t.is(report.findings.find((f) => f.container === 'nolabel' && f.id === 'host.container.user-root')?.severity, 'medium')
  t.deepEqual(ids(report, 'hardened'), [])
  // Published on [::] only: docker-bench 5.14 reads the host IP as "[" and misses it.
  t.deepEqual(report.findings.filter((f) => f.container === 'web' && f.id.startsWith('host.')).map((f) => f.evidence).sort(), [
    'web: 443/tcp published on [::]:8443; bind a host IP or use expose',
    'web: 80/tcp published on 0.0.0.0:8080; bind a host IP or use expose'])
  t.deepEqual(ids(report, 'nolabel'), ['host.container.user-root', 'host.owner.unknown'])
  t.deepEqual(ids(report, 'shop'), [])
  const mixed = report.findings.find((f) => f.id === 'host.owner.mixed')
  t.is(mixed?.rule, 'single-owner')
  t.regex(mixed!.evidence, /team-a: (risky, hardened|hardened, risky)/)
  t.regex(mixed!.evidence, /shop: shop/)
  t.regex(mixed!.evidence, /\(unknown\): nolabel/)
  t.truthy(report.findings.find((f) => f.id === 'host.sensitivity.mixed'))
  t.false(JSON.stringify(report).includes(SECRET))
  t.is(exitCode, 1)
  t.true(report.findings.every((f) => f.source === 'engine'))
  t.deepEqual(report.notChecked.filter((n) => n.source === 'engine'), [])
})

test("each container's image is exported from the engine and vetted, its findings attributed to the containers", async (t) => {
  const {report} = await auditHost({engine: mtlsTarget(true), policy: await policy()})
  t.is(report.images.length, 1, JSON.stringify(report.images))
  const [img] = report.images
  t.deepEqual([...img!.containers].sort(), ['hardened', 'nolabel', 'risky', 'shop', 'web'])
  t.not(img!.verdict, 'not-vetted', img!.detail)
  t.true(img!.id.startsWith('sha256:'))
  const fromImage = report.findings.filter((f) => !f.id.startsWith('host.'))
  t.true(fromImage.length > 0, 'the image is judged like vet judges it')
  // Every image finding names a container, and each container that uses the image gets it.
  for (const c of ['hardened', 'web']) t.true(fromImage.some((f) => f.container === c), c)
  t.false(fromImage.some((f) => f.id.startsWith('config.user.')), 'the user is judged per container, not twice')
  const none = await auditHost({engine: mtlsTarget(true), policy: await policy(), vetImages: false})
  t.deepEqual(none.report.images, [])
  t.false(none.report.findings.some((f) => !f.id.startsWith('host.')))
  t.true(none.report.notChecked.some((n) => n.check === 'images'))
})

test('mutual TLS without a client certificate: anonymous clients are refused, containers are not checked', async (t) => {
  const {report, exitCode} = await auditHost({engine: mtlsTarget(false), policy: await policy()})
  t.is(report.sources.engine.probe?.transport, 'mutual-tls')
  t.is(report.sources.engine.status, 'refused')
  t.deepEqual(report.findings, [])
  t.deepEqual(report.notChecked.filter((n) => n.source === 'engine').map((n) => n.check),
    ['engine-warnings', 'containers', 'owners'])
  t.deepEqual(report.containers, [])
  // Nothing failed, but the engine's containers were not seen: the report says so rather than passing them.
  t.is(report.verdict, 'pass')
  t.is(exitCode, 0)
})

test('plain HTTP on TCP is critical; the engine itself warns', async (t) => {
  const {report, exitCode} = await auditHost({engine: {url: `tcp://127.0.0.1:${ports.plain}`}, policy: await policy()})
  t.is(report.sources.engine.transport, 'plain-http')
  const f = report.findings.find((x) => x.id === 'host.engine.plain-tcp')
  t.is(f?.severity, 'critical')
  t.is(f?.rule, 'daemon-tls')
  t.regex(report.findings.find((x) => x.id === 'host.engine.warning')!.evidence, /without encryption/)
  t.is(exitCode, 1)
})

test('TLS without client verification lets an anonymous client in: high', async (t) => {
  const {report, exitCode} = await auditHost({engine: {url: `tcp://127.0.0.1:${ports.tls}`}, policy: await policy()})
  t.is(report.sources.engine.transport, 'tls-no-verify')
  t.is(report.findings.find((x) => x.id === 'host.engine.tls-no-verify')?.severity, 'high')
  t.regex(report.findings.find((x) => x.id === 'host.engine.warning')!.evidence, /without TLS client verification/)
  t.is(report.sources.engine.serverCert?.subject, 'imgvet-test-server')
  t.deepEqual(report.sources.engine.probe?.tlsVersions, ['TLSv1.2', 'TLSv1.3'])
  t.is(exitCode, 1)
})

test('the unix socket reads the same containers; the TCP probe is listed as not checked', async (t) => {
  const {report} = await auditHost({engine: {url: `unix://${engines.mtls.sock}`}, policy: await policy()})
  t.is(report.sources.engine.transport, 'unix')
  t.is(report.containers.length, 5)
  t.true(report.notChecked.some((n) => n.check === 'tcp-probe'))
  t.true(report.notChecked.some((n) => n.source === 'filesystem' && n.why === 'no --root given'))
})

test('labels keys are configurable: with owner key "team" every container is of unknown owner', async (t) => {
  const {report} = await auditHost({engine: {url: `unix://${engines.mtls.sock}`}, policy: await policy(),
    labels: {owner: 'team', sensitivity: 'imgvet.sensitivity'}})
  // Only the compose project label still names an owner.
  t.deepEqual(report.containers.filter((c) => c.owner).map((c) => c.owner), ['shop'])
  t.is(report.findings.filter((f) => f.id === 'host.owner.unknown').length, 4)
})

test('a closed port is "could not complete" (exit 3), never a pass', async (t) => {
  const {report, exitCode} = await auditHost({engine: {url: `tcp://127.0.0.1:${await freePort()}`}, policy: await policy()})
  t.is(report.sources.engine.status, 'unreachable')
  t.is(report.verdict, 'fail')
  t.is(exitCode, 3)
})

test('the CLI: JSON report of a mutual-TLS engine and a fake root together, exit 1; text names every source', async (t) => {
  await ensureBuilt()
  const root = join(dir, 'fake-root')
  mkdirSync(join(root, 'etc/docker'), {recursive: true})
  writeFileSync(join(root, 'etc/docker/daemon.json'), JSON.stringify({hosts: [`tcp://127.0.0.1:${ports.mtls}`], tlsverify: true}))
  writeFileSync(join(root, 'etc/group'), 'docker:x:999:carol\n')
  const args = ['host', 'audit', '--host', `tcp://127.0.0.1:${ports.mtls}`, '--tlscacert', certs.ca, '--tlscert', certs.clientCert,
    '--tlskey', certs.clientKey, '--root', root]
  const r = await runCli([...args, '--format', 'json'])
  t.is(r.code, 1, r.stderr)
  const j = JSON.parse(r.stdout) as HostReport
  t.is(j.kind, 'host')
  t.is(j.host, `tcp://127.0.0.1:${ports.mtls}`)
  t.is(j.sources.engine.transport, 'mutual-tls')
  t.is(j.sources.filesystem.status, 'used')
  t.is(j.containers.length, 5)
  t.deepEqual(j.notChecked.map((n) => n.check), ['packages', 'listening-sockets'])
  t.true(j.findings.some((f) => f.id === 'host.user.docker-group' && f.source === 'filesystem'))
  t.false(j.findings.some((f) => f.id.startsWith('host.config.')))
  t.false(r.stdout.includes(SECRET))
  const text = await runCli(args)
  t.is(text.code, 1)
  t.regex(text.stdout, /^FAIL {2}host tcp:\/\/127\.0\.0\.1:\d+ root /)
  t.regex(text.stdout, /Engine: used docker .* mutual-tls/)
  t.regex(text.stdout, /Containers \(5, running or not\):/)
  t.regex(text.stdout, /filesystem\/packages: no dpkg status/)
  const bad = await runCli(['host', 'audit', '--host', `tcp://127.0.0.1:${ports.mtls}`, '--tlscert', certs.clientCert])
  t.is(bad.code, 2)
  t.is(bad.stderr.trim(), 'imgvet: usage: --tlscert and --tlskey go together')
})

test('--root / reads each running dockerd command line and config file and probes every TCP address they name', async (t) => {
  const {report} = await auditHost({root: '/', policy: await policy()})
  const about = (port: number) => report.findings.filter((f) => f.evidence.includes(`127.0.0.1:${port}`))
    .map((f) => [f.id, f.source]).sort()
  t.deepEqual(about(ports.plain), [['host.config.tcp-plain', 'filesystem'], ['host.engine.plain-tcp', 'engine']])
  t.deepEqual(about(ports.tls), [['host.config.tls-no-verify', 'filesystem'], ['host.engine.tls-no-verify', 'engine']])
  t.deepEqual(about(ports.mtls), [])
  const plain = report.findings.find((f) => f.id === 'host.config.tcp-plain' && f.evidence.includes(`:${ports.plain}`))
  t.regex(plain!.evidence, new RegExp(`\\(${join(dir, 'plain', 'daemon.json').slice(1).replace(/[.]/g, '\\.')}\\)`))
  t.regex(report.findings.find((f) => f.id === 'host.engine.plain-tcp' && f.path?.endsWith(`:${ports.plain}`))!.evidence,
    /configured in .*daemon\.json/)
  const mtls = report.sources.endpoints.find((e) => e.url === `tcp://127.0.0.1:${ports.mtls}`)
  t.is(mtls?.transport, 'mutual-tls')
  t.regex(mtls!.from, /^dockerd pid \d+ command line$/)
  // The test CA's key sits beside the ca.pem the mutual-TLS daemon names: exactly what must not be on a host.
  t.true(report.findings.some((f) => f.id === 'host.file.ca-key' && f.path === join(dir, 'certs/ca-key.pem').slice(1)))
  t.false(report.notChecked.some((n) => n.check === 'tcp-probe'))
})
