import test from 'ava'
import {join} from 'node:path'
import {auditHost} from '../../src/host/audit.js'
import {loadPolicy} from '../../src/policy/load.js'
import {busyboxArchive, docker, startPodman, type Engine} from '../support/dockerd.js'
import {freePort} from '../support/net.js'
import {makeTempDir, removeDir} from '../support/tmp.js'

// podman's Docker-compatible API: one service on a unix socket with containers, one on plain TCP (127.0.0.1 only).
let dir = ''
let unix: Engine | undefined
let tcp: Engine | undefined

test.before(async (t) => {
  dir = makeTempDir('imgvet-host-podman')
  const t0 = Date.now()
  const [u, p] = await Promise.all([startPodman(join(dir, 'unix')), startPodman(join(dir, 'tcp'), `tcp://127.0.0.1:${await freePort()}`)])
  unix = u
  tcp = p
  t.log(`two podman services up in ${Date.now() - t0} ms`)
  const archive = join(dir, 'busybox.tar')
  await busyboxArchive(archive)
  await docker(u!.sock, ['load', '-i', archive])
  const create = (name: string, args: string[]) =>
    docker(u!.sock, ['create', '--pull=never', '--network', 'none', '--name', name, ...args, 'localhost/imgvet/busybox:test'])
  await create('risky', ['--privileged', '--pid', 'host', '-v', `${u!.sock}:/var/run/docker.sock`,
    '--label', 'imgvet.owner=team-a', '--label', 'imgvet.sensitivity=confidential'])
  // podman lists no CapAdd for a privileged container, so the capability gets a container of its own.
  await create('capped', ['--cap-add', 'SYS_ADMIN', '--user', '1000', '--label', 'imgvet.owner=team-a',
    '--label', 'imgvet.sensitivity=confidential'])
  await create('quiet', ['--user', '65534', '--label', 'imgvet.owner=team-b', '--label', 'imgvet.sensitivity=public'])
  t.log(`load + 3 creates done at ${Date.now() - t0} ms`)
})

test.after.always(async () => {
  await Promise.all([unix?.stop(), tcp?.stop()])
  if (dir) removeDir(dir)
})

test('podman over a unix socket: created containers audited, owners compared', async (t) => {
  const {report, exitCode} = await auditHost({engine: {url: `unix://${unix!.sock}`}, policy: await loadPolicy('default')})
  t.is(report.sources.engine.product, 'podman')
  t.deepEqual(report.containers.map((c) => [c.name, c.owner]).sort(),
    [['capped', 'team-a'], ['quiet', 'team-b'], ['risky', 'team-a']])
  t.false(report.containers.some((c) => c.state === 'running'))
  const risky = report.findings.filter((f) => f.container === 'risky').map((f) => f.id).sort()
  for (const id of ['host.container.privileged', 'host.container.host-namespace', 'host.container.engine-socket',
    'host.container.user-root'])
    t.true(risky.includes(id), `${id} in ${risky.join(', ')}`)
  const own = (c: string) => report.findings.filter((f) => f.container === c && f.id.startsWith('host.')).map((f) => f.id)
  t.deepEqual(own('capped'), ['host.container.capability'])
  t.deepEqual(own('quiet'), [])
  // podman exports its images through the same API call: they are vetted too.
  t.true(report.images.length >= 1 && report.images.every((i) => i.verdict !== 'not-vetted'), JSON.stringify(report.images))
  t.deepEqual(report.findings.filter((f) => f.rule === 'single-owner' && f.id.startsWith('host.')).map((f) => f.id).sort(),
    ['host.owner.mixed', 'host.sensitivity.mixed'])
  t.is(exitCode, 1)
})

test('podman on plain TCP: it logs no warning and /info says nothing; only the probe finds it (critical)', async (t) => {
  const {report} = await auditHost({engine: {url: tcp!.sock}, policy: await loadPolicy('default')})
  t.is(report.sources.engine.transport, 'plain-http')
  t.deepEqual(report.sources.engine.warnings, [])
  t.deepEqual(report.findings.map((f) => [f.id, f.severity]), [['host.engine.plain-tcp', 'critical']])
  t.deepEqual(report.containers, [])
})
