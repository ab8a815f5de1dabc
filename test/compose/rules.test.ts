import test from 'ava'
import type {ComposeReport} from '../../src/compose/check.js'
import {renderAs} from '../../src/report/render.js'
import {githubToken, highEntropy} from '../support/fake-secrets.js'
import {join} from 'node:path'
import {loadPolicy} from '../../src/policy/load.js'
import {checkCompose} from '../../src/compose/check.js'
import {registryVetter} from '../../src/compose/images.js'
import {checkProject} from '../../src/compose/rules/index.js'
import {registries} from '../support/cli.js'
import {check, ids, load, project} from './helpers.js'

const renderCompose = (r: ComposeReport, format: string) => renderAs('compose', format, r)

const PIN = `@sha256:${'ab'.repeat(32)}`

test('credentials in environment, env_file, build args and labels are found and redacted; ${VAR} references are not', async (t) => {
  const token = githubToken()
  const pw = `Zx9${highEntropy(20)}`
  const r = await check(
    [
      'services:',
      '  app:',
      `    image: x:1${PIN}`,
      '    environment:',
      `      GITHUB_TOKEN: ${token}`,
      '      DB_PASSWORD: ${DB_PASSWORD}',
      `      API_KEY: \${API_KEY:-${pw}}`,
      '      LOG_LEVEL: debug',
      '    env_file: [app.env]',
      '    labels:',
      `      deploy.token: ${token}`,
      '  built:',
      '    build:',
      '      context: .',
      '      args:',
      `        NPM_TOKEN: ${token}`,
      '  bare:',
      `    image: x:1${PIN}`,
      '    environment: [DB_PASSWORD]',
      '',
    ].join('\n'),
    {'app.env': `# db\nPOSTGRES_PASSWORD=${pw}\nPOSTGRES_USER=app\n`},
    {env: {DB_PASSWORD: `Qq7${highEntropy(24)}`}},
  )
  const secrets = r.report.findings.filter((f) => f.rule === 'no-credentials')
  t.deepEqual(
    secrets.map((f) => [f.service, f.path, f.line]).sort(),
    [
      ['app', 'app.env', 2],
      ['app', 'compose.yaml', 11],
      ['app', 'compose.yaml', 5],
      ['app', 'compose.yaml', 7],
      ['built', 'compose.yaml', 16],
    ].sort(),
  )
  const out = renderCompose(r.report, 'json') + renderCompose(r.report, 'text') + renderCompose(r.report, 'sarif')
  t.false(out.includes(token), 'the token is never printed whole')
  t.false(out.includes(pw), 'the password is never printed whole')
})

test('images: latest, no tag, unset-variable tag, tag only, digest', async (t) => {
  const r = await check(
    `services:\n  a: {image: "nginx:latest"}\n  b: {image: nginx}\n  c: {image: "app:\${TAG}"}\n  d: {image: "nginx:1.27"}\n  e: {image: "nginx:1.27${PIN}"}\n`,
  )
  t.deepEqual(
    r.report.findings.map((f) => [f.service, f.id]),
    [
      ['a', 'compose.image.latest'],
      ['b', 'compose.image.latest'],
      ['c', 'compose.image.unset-variable'],
      ['c', 'compose.image.latest'],
      ['d', 'compose.image.not-pinned'],
    ],
  )
  t.true(r.report.findings.every((f) => f.rule === 'trust-external'))
  t.regex(r.report.findings[2]?.evidence ?? '', /\$\{TAG\} not set: the image became "app:"/)
})

test('ports from unset variables; remote build context; build-only services are "built locally, not vetted"', async (t) => {
  const r = await check(
    `services:\n  a:\n    image: "x:1${PIN}"\n    ports: ["\${PORT}:8080"]\n  b:\n    build: https://github.com/example/app.git#main\n  c:\n    build: ./c\n`,
  )
  t.deepEqual(
    r.report.findings.map((f) => [f.service, f.id]),
    [
      ['a', 'compose.port.unset-variable'],
      ['b', 'compose.build.remote-context'],
      ['b', 'compose.build.local'],
      ['c', 'compose.build.local'],
    ],
  )
  t.deepEqual(
    r.report.services.map((s) => [s.name, s.verdict, s.note]),
    [
      ['a', 'not-vetted', 'images not vetted (--no-images)'],
      ['b', 'not-vetted', 'built locally, not vetted'],
      ['c', 'not-vetted', 'built locally, not vetted'],
    ],
  )
})

test('owner and sensitivity labels: services of different owners in one file; one owner passes', async (t) => {
  const r = await check(
    [
      'services:',
      '  a: {image: "x:1' + PIN + '", labels: {imgvet.owner: payments, imgvet.sensitivity: high}}',
      '  b: {image: "x:1' + PIN + '", labels: [imgvet.owner=marketing, imgvet.sensitivity=high]}',
      '  c: {image: "x:1' + PIN + '"}',
      '',
    ].join('\n'),
  )
  t.deepEqual(
    r.report.findings.map((f) => [f.service, f.id, f.rule]),
    [
      ['b', 'compose.owner.mixed', 'single-owner'],
      ['c', 'compose.owner.mixed', 'single-owner'],
      ['c', 'compose.owner.mixed', 'single-owner'],
    ],
  )
  t.regex(r.report.findings[0]?.evidence ?? '', /payments: a; marketing: b; \(unknown\): c/)
  const one = await check(
    `services:\n  a: {image: "x:1${PIN}", labels: {imgvet.owner: p}}\n  b: {image: "x:1${PIN}", labels: {imgvet.owner: p}}\n`,
  )
  t.deepEqual(ids(one), [])
})

test('the policy judges: medium findings do not fail the default preset; a scope allowlist suppresses by id', async (t) => {
  const medium = await check(`services:\n  a: {image: "nginx:1.27"}\n`)
  t.is(medium.report.verdict, 'pass')
  t.deepEqual(ids(medium), ['compose.image.not-pinned'])
  const dir = project({
    'policy.yaml': [
      'version: 1',
      'name: ours',
      'scopes:',
      "  - match: '**'",
      '    failOn: medium',
      "    allow: [{id: compose.image.latest, reason: 'dev stack', expires: 2099-01-01}]",
      '',
    ].join('\n'),
  })
  const policy = await loadPolicy(join(dir, 'policy.yaml'))
  const strict = await check(`services:\n  a: {image: "nginx:1.27"}\n  b: {image: "nginx"}\n`, {}, {}, policy)
  t.is(strict.report.verdict, 'fail', 'failOn: medium fails the unpinned tag')
  t.deepEqual(
    strict.report.reasons.map((x) => x.id),
    ['compose.image.not-pinned'],
  )
  t.deepEqual(
    strict.report.suppressed.map((f) => [f.service, f.id]),
    [['b', 'compose.image.latest']],
  )
})

test('with image facts: the image USER root when user: is unset; published ports the image does not EXPOSE', async (t) => {
  const p = load({
    'compose.yaml': [
      'services:',
      '  app:',
      `    image: x:1${PIN}`,
      '    ports: ["127.0.0.1:80:80", "127.0.0.1:81:81", "127.0.0.1:9000-9001:9000-9001"]',
      '    expose: ["9000"]',
      '  fixed:',
      `    image: x:1${PIN}`,
      '    user: "1000"',
      '',
    ].join('\n'),
  })
  const facts = {exposed: new Set(['80/tcp']), user: '', runsAsRoot: true}
  const found = checkProject(
    p,
    new Map([
      ['app', facts],
      ['fixed', facts],
    ]),
  )
  t.deepEqual(
    found.map((f) => [f.service, f.id, f.line]),
    [
      ['app', 'compose.port.not-exposed', 4],
      ['app', 'compose.port.not-exposed', 4],
      ['app', 'compose.user.root', 2],
    ],
  )
  t.regex(found[1]?.evidence ?? '', /9001\/tcp is not among them/)
  t.deepEqual(
    checkProject(p, new Map()).map((f) => f.id),
    [],
    'without images neither can be known',
  )
})

test('junit and sarif renderings of a compose report', async (t) => {
  const r = await check(
    `services:\n  a:\n    image: "x:1${PIN}"\n    privileged: true\n  b:\n    image: "nginx:1.27"\n`,
  )
  const junit = renderCompose(r.report, 'junit')
  t.regex(junit, /^<\?xml/)
  t.regex(junit, /<testsuite name="compose\.yaml" tests="3" failures="2"/)
  t.regex(junit, /name="compose\.privileged compose\.yaml:4"><failure/)
  const sarif = JSON.parse(renderCompose(r.report, 'sarif')) as {
    runs: Array<{
      results: Array<{
        ruleId: string
        properties: {service: string}
        locations: Array<{physicalLocation: {artifactLocation: {uri: string}}}>
      }>
    }>
  }
  const results = sarif.runs[0]?.results ?? []
  t.deepEqual(
    results.map((x) => [x.ruleId, x.properties.service, x.locations[0]?.physicalLocation.artifactLocation.uri]),
    [
      ['compose.privileged', 'a', 'compose.yaml'],
      ['compose.image.not-pinned', 'b', 'compose.yaml'],
    ],
  )
})

test('text output never carries control characters from the file', async (t) => {
  const r = await check(`services:\n  "evil\\u001b[2J":\n    image: "x:1${PIN}"\n    privileged: true\n`)
  const out = renderCompose(r.report, 'text')
  t.false(out.includes('\x1b'))
  t.regex(out, /service evil\?\[2J/)
})

test('an image name that is no reference is never a pass: the service fails with compose.image.not-vetted', async (t) => {
  const dir = project({'compose.yaml': 'services:\n  a:\n    image: "Bad/Name:1"\n'})
  const policy = await loadPolicy('default')
  const regs = registries(t)
  const vetImage = registryVetter(regs, {policy, platform: {os: 'linux', architecture: 'amd64'}, cache: null})
  const r = await checkCompose(['compose.yaml'], {policy, vetImage, env: {}, cwd: dir})
  t.is(r.exitCode, 1)
  t.deepEqual(
    r.report.services.map((s) => s.verdict),
    ['fail'],
  )
  t.deepEqual(
    r.report.reasons.map((x) => x.id),
    ['compose.image.not-vetted'],
  )
  t.regex(r.report.reasons[0]?.message ?? '', /bad-reference: .*lowercase/)
})
