import test from 'ava'
import {check, ids} from './helpers.js'

const PIN = `@sha256:${'ab'.repeat(32)}`

test("the seed's LAMP example: mysql published on all interfaces is flagged, apache's 80/443 are not", async (t) => {
  const r = await check(
    [
      'services:',
      '  apache:',
      `    image: httpd:2.4${PIN}`,
      '    ports: ["80:80", "443:443"]',
      '    depends_on: [mysql]',
      '  mysql:',
      `    image: mysql:8.0${PIN}`,
      '    ports: ["3306:3306"]',
      '',
    ].join('\n'),
  )
  const ports = r.report.findings.filter((f) => f.rule === 'ports')
  t.deepEqual(
    ports.map((f) => [f.id, f.service, f.line]),
    [['compose.port.backend-published', 'mysql', 8]],
  )
  t.regex(ports[0]?.evidence ?? '', /expose/)
  t.is(r.report.verdict, 'fail')
  t.is(r.exitCode, 1)
  const fixed = await check(
    `services:\n  apache:\n    image: httpd:2.4${PIN}\n    ports: ["80:80", "443:443"]\n    depends_on: [mysql]\n  mysql:\n    image: mysql:8.0${PIN}\n    expose: ["3306"]\n`,
  )
  t.deepEqual(ids(fixed), [])
  t.is(fixed.report.verdict, 'pass')
  t.is(fixed.exitCode, 0)
})

test('KICS/Semgrep blind spots: no version: key, host_ip 127.0.0.1 is fine, 0.0.0.0 and :: are not, long syntax', async (t) => {
  const r = await check(
    [
      'services:',
      '  db:',
      `    image: postgres:16${PIN}`,
      '    ports:',
      '      - target: 5432',
      '        published: 5432',
      '        host_ip: 127.0.0.1',
      '      - target: 5433',
      '        published: 5433',
      '        host_ip: 0.0.0.0',
      '      - "[::1]:5434:5432"',
      '      - "[::]:5435:5432"',
      '      - "127.0.0.1:5436:5432"',
      '      - target: 5437',
      '',
    ].join('\n'),
  )
  t.deepEqual(
    r.report.findings.map((f) => [f.id, f.line]),
    [
      ['compose.port.backend-published', 8],
      ['compose.port.backend-published', 12],
      ['compose.port.backend-published', 14],
    ],
  )
})

test('a service others reach by name or a well-known port counts as a backend; a lone front end does not', async (t) => {
  const r = await check(
    [
      'services:',
      '  proxy:',
      `    image: nginx:1.27${PIN}`,
      '    ports: ["443:443"]',
      '    environment: {UPSTREAM: "http://api:8080"}',
      '  api:',
      `    image: example/api:3${PIN}`,
      '    ports: ["8080:8080"]',
      '  cache:',
      `    image: example/kv:1${PIN}`,
      '    ports: ["11211:11211"]',
      '',
    ].join('\n'),
  )
  t.deepEqual(
    r.report.findings.map((f) => [f.service, f.id]),
    [
      ['api', 'compose.port.backend-published'],
      ['cache', 'compose.port.backend-published'],
    ],
  )
  t.regex(r.report.findings[0]?.evidence ?? '', /reach it by name \(proxy\)/)
})

test('an invalid port is bad-input at its line', async (t) => {
  await t.throwsAsync(check(`services:\n  a:\n    image: "x:1${PIN}"\n    ports: ["80:80", "abc"]\n`), {
    message: 'compose.yaml:4: service "a": invalid port "abc"',
  })
  await t.throwsAsync(check(`services:\n  a:\n    image: "x:1${PIN}"\n    ports:\n      - published: 80\n`), {
    message: 'compose.yaml:5: service "a": a long-syntax port needs a numeric target',
  })
})

test('links and network_mode service: count as reaching a service; a remote include is reported, not followed', async (t) => {
  const r = await check(
    [
      'include: ["https://example.com/stack/compose.yaml"]',
      'services:',
      '  web:',
      `    image: x:1${PIN}`,
      '    links: ["api:backend"]',
      '  sidecar:',
      `    image: x:1${PIN}`,
      '    network_mode: "service:metrics"',
      '  api:',
      `    image: x:1${PIN}`,
      '    ports: ["8080:8080"]',
      '  metrics:',
      `    image: x:1${PIN}`,
      '    ports: ["9100:9100"]',
      '',
    ].join('\n'),
  )
  t.deepEqual(
    r.report.findings.map((f) => [f.service ?? null, f.id, f.line]),
    [
      ['api', 'compose.port.backend-published', 11],
      ['metrics', 'compose.port.backend-published', 14],
      [null, 'compose.include.remote', 1],
    ],
  )
})
