import test from 'ava'
import {daemonTlsCheck} from '../../../src/checks/config/daemon.js'
import {vetSource} from '../../../src/pipeline/vet.js'
import {loadPolicy} from '../../../src/policy/load.js'
import {imageOf, makeTar} from '../../layers/helpers.js'
import {ctx, entry, view} from './helpers.js'

const ids = (fs: Array<{id: string}>) => fs.map((f) => f.id)

test('DOCKER_HOST over TCP without DOCKER_TLS_VERIFY is reported; with it, ssh:// or unix:// it passes', (t) => {
  const plain = daemonTlsCheck.run(ctx({Env: ['PATH=/bin', 'DOCKER_HOST=tcp://docker:2375']}))
  t.deepEqual(ids(plain), ['config.daemon.client-without-tls'])
  t.is(plain[0]?.rule, 'daemon-tls')
  t.is(plain[0]?.severity, 'high')
  t.regex(plain[0]?.evidence ?? '', /DOCKER_HOST=tcp:\/\/docker:2375: no DOCKER_TLS_VERIFY: plain TCP to the daemon's plaintext port/)
  const tlsOnly = daemonTlsCheck.run(ctx({Env: ['DOCKER_HOST=tcp://docker:2376', 'DOCKER_TLS=1']}))
  t.regex(tlsOnly[0]?.evidence ?? '', /TLS without DOCKER_TLS_VERIFY/)
  for (const Env of [
    ['DOCKER_HOST=tcp://docker:2376', 'DOCKER_TLS_VERIFY=1'],
    ['DOCKER_HOST=ssh://deploy@builder'],
    ['DOCKER_HOST=unix:///var/run/docker.sock'],
    ['DOCKER_TLS_VERIFY='],
    [],
  ]) t.deepEqual(daemonTlsCheck.run(ctx({Env})), [], Env.join(' '))
})

test('credentials in DOCKER_HOST never reach the evidence', (t) => {
  const f = daemonTlsCheck.run(ctx({Env: ['DOCKER_HOST=tcp://admin:hunter2hunter2@docker:2375']}))
  t.is(f.length, 1)
  t.false(JSON.stringify(f).includes('hunter2'))
  t.regex(f[0]?.evidence ?? '', /tcp:\/\/\*\*\*@docker:2375/)
})

test('dockerd listening on TCP without --tlsverify, in exec or shell form, is reported; with --tlsverify it passes', (t) => {
  const exec = daemonTlsCheck.run(ctx({Entrypoint: ['dockerd-entrypoint.sh'], Cmd: ['/usr/local/bin/dockerd', '-H', 'tcp://0.0.0.0:2375', '-H', 'unix:///var/run/docker.sock']}))
  t.deepEqual(ids(exec), ['config.daemon.listens-without-tlsverify'])
  t.regex(exec[0]?.evidence ?? '', /dockerd -H tcp:\/\/0\.0\.0\.0:2375 without --tlsverify/)
  const shell = daemonTlsCheck.run(ctx({Cmd: ['/bin/sh', '-c', 'dockerd --host=tcp://0.0.0.0:2376 --tls']}))
  t.deepEqual(ids(shell), ['config.daemon.listens-without-tlsverify'], '--tls alone does not verify clients')
  t.deepEqual(daemonTlsCheck.run(ctx({Cmd: ['dockerd', '-H', 'tcp://0.0.0.0:2376', '--tlsverify', '--tlscacert=/certs/ca.pem']})), [])
  t.deepEqual(daemonTlsCheck.run(ctx({Cmd: ['dockerd', '-H', 'unix:///var/run/docker.sock']})), [])
  t.deepEqual(daemonTlsCheck.run(ctx({Cmd: ['myapp', '-H', 'tcp://0.0.0.0:2375']})), [], 'only dockerd')
})

test('/etc/docker/daemon.json with a TCP host and no tlsverify is reported at its path; tlsverify true or bad JSON is not', (t) => {
  const at = entry('/etc/docker/daemon.json', 'file', 0o644, 2)
  const open = daemonTlsCheck.run(ctx({}, {view: view([at], {'/etc/docker/daemon.json': '{"hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"], "tls": true}'})}))
  t.deepEqual(ids(open), ['config.daemon.listens-without-tlsverify'])
  t.is(open[0]?.path, '/etc/docker/daemon.json')
  t.is(open[0]?.layer?.index, 2)
  t.deepEqual(daemonTlsCheck.run(ctx({}, {view: view([at], {'/etc/docker/daemon.json': '{"hosts": ["tcp://0.0.0.0:2376"], "tlsverify": true}'})})), [])
  t.deepEqual(daemonTlsCheck.run(ctx({}, {view: view([at], {'/etc/docker/daemon.json': '{"hosts": ['})})), [])
})

test('EXPOSE 2375 is the plaintext daemon port; 2376 is not reported', (t) => {
  t.deepEqual(ids(daemonTlsCheck.run(ctx({ExposedPorts: {'2375/tcp': {}}}))), ['config.daemon.plaintext-port'])
  t.deepEqual(daemonTlsCheck.run(ctx({ExposedPorts: {'2376/tcp': {}, '8080/tcp': {}}})), [])
})

test('through the real walk: daemon.json in a layer fails vet under the default policy', async (t) => {
  const daemonJson = '{"hosts": ["tcp://0.0.0.0:2375"]}\n'
  const {source} = await imageOf([{tar: await makeTar([{name: 'etc/docker/daemon.json', content: daemonJson}])}])
  const r = await vetSource(source, {registry: 'oci', repository: 'dind', tag: 'latest'}, {
    policy: await loadPolicy('default'), platform: {os: 'linux', architecture: 'amd64'}, cache: null,
  })
  const f = r.report.findings.find((x) => x.id === 'config.daemon.listens-without-tlsverify')
  t.truthy(f, JSON.stringify(r.report.findings.map((x) => x.id)))
  t.is(f?.path, '/etc/docker/daemon.json')
  t.is(r.report.verdict, 'fail')
  t.true((r.report.reasons ?? []).some((x) => x.id === 'config.daemon.listens-without-tlsverify'))
})
