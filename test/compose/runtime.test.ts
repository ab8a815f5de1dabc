import test from 'ava'
import {check, ids} from './helpers.js'

const PIN = `@sha256:${'ab'.repeat(32)}`

test('host network and host namespaces; bridge and private ones pass', async (t) => {
  const r = await check(
    `services:\n  a:\n    image: x:1${PIN}\n    network_mode: host\n    pid: host\n    ipc: host\n    uts: host\n    userns_mode: host\n  b:\n    image: x:1${PIN}\n    network_mode: bridge\n    ipc: private\n`,
  )
  t.deepEqual(ids(r, 'a'), ['compose.network.host', ...Array(4).fill('compose.namespace.host')])
  t.deepEqual(
    r.report.findings.filter((f) => f.id === 'compose.namespace.host').map((f) => f.line),
    [5, 6, 7, 8],
  )
  t.deepEqual(ids(r, 'b'), [])
})

test('privileged, dangerous capabilities, devices, unconfined security_opt (both separators)', async (t) => {
  const r = await check(
    [
      'services:',
      '  bad:',
      `    image: x:1${PIN}`,
      '    privileged: true',
      '    cap_add: [SYS_ADMIN, CAP_NET_ADMIN, CHOWN, all]',
      '    devices: ["/dev/sda:/dev/sda"]',
      '    security_opt: ["seccomp:unconfined", "apparmor=unconfined", "label:disable", "no-new-privileges:true"]',
      '  good:',
      `    image: x:1${PIN}`,
      '    privileged: false',
      '    cap_add: [CHOWN]',
      '    cap_drop: [ALL]',
      '    security_opt: ["no-new-privileges:true"]',
      '',
    ].join('\n'),
  )
  t.deepEqual(ids(r, 'bad'), [
    'compose.privileged',
    'compose.cap.dangerous',
    'compose.cap.dangerous',
    'compose.cap.dangerous',
    'compose.devices',
    'compose.security-opt.unconfined',
    'compose.security-opt.unconfined',
    'compose.security-opt.unconfined',
  ])
  t.is(r.report.findings[0]?.severity, 'critical')
  t.deepEqual(ids(r, 'good'), [])
})

test('engine socket: short and long syntax, podman/containerd, /var/run, a named volume binding it, use_api_socket', async (t) => {
  const r = await check(
    [
      'services:',
      '  a:',
      `    image: x:1${PIN}`,
      '    volumes:',
      '      - /var/run/docker.sock:/var/run/docker.sock',
      '      - type: bind',
      '        source: /run/podman/podman.sock',
      '        target: /sock',
      '      - /run/containerd/containerd.sock:/c.sock:ro',
      '      - /var/run:/host-run',
      '      - engine:/e',
      '    use_api_socket: true',
      '  b:',
      `    image: x:1${PIN}`,
      '    volumes: ["data:/var/lib/data", "./conf:/etc/app:ro", "/srv/app/sock:/sock"]',
      'volumes:',
      '  engine: {driver_opts: {type: none, o: bind, device: /var/run/docker.sock}}',
      '  data: {}',
      '',
    ].join('\n'),
  )
  const socket = r.report.findings.filter((f) => f.id === 'compose.socket.mounted')
  t.deepEqual(
    socket.map((f) => f.line),
    [5, 6, 9, 10, 11, 12],
  )
  t.true(socket.every((f) => f.rule === 'daemon-tls' && f.severity === 'critical'))
  t.deepEqual(ids(r, 'b'), [])
})

test('sensitive host paths: /, /etc, /root, /var/lib/docker, /proc, ~/.ssh; ro lowers; localtime ro and project dirs pass', async (t) => {
  const r = await check(
    [
      'services:',
      '  a:',
      `    image: x:1${PIN}`,
      '    volumes:',
      '      - /:/host',
      '      - /etc:/host-etc:ro',
      '      - /root/.aws:/creds',
      '      - /var/lib/docker:/docker',
      '      - type: bind',
      '        source: /proc',
      '        target: /hproc',
      '      - ~/.ssh:/keys:ro',
      '      - /etc/localtime:/etc/localtime:ro',
      '      - ./site:/usr/share/nginx/html',
      '',
    ].join('\n'),
  )
  const f = r.report.findings.filter((x) => x.id === 'compose.volume.sensitive-path')
  t.deepEqual(
    f.map((x) => [x.line, x.severity]),
    [
      [5, 'high'],
      [6, 'medium'],
      [7, 'high'],
      [8, 'high'],
      [9, 'high'],
      [12, 'medium'],
    ],
  )
  t.true(f.every((x) => x.rule === 'minimal-host'))
})

test('user root: 0, root, 0:0 flagged; a non-root uid is not; unset is left to the image', async (t) => {
  const r = await check(
    `services:\n  a: {image: "x:1${PIN}", user: "0"}\n  b: {image: "x:1${PIN}", user: "root:root"}\n  c: {image: "x:1${PIN}", user: "0:0"}\n  d: {image: "x:1${PIN}", user: "1000:1000"}\n  e: {image: "x:1${PIN}"}\n`,
  )
  t.deepEqual(
    r.report.findings.map((f) => [f.service, f.id, f.rule]),
    [
      ['a', 'compose.user.root', 'non-root'],
      ['b', 'compose.user.root', 'non-root'],
      ['c', 'compose.user.root', 'non-root'],
    ],
  )
})
