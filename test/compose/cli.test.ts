import test from 'ava'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {ComposeReport} from '../../src/compose/check.js'
import {
  assertBuilt,
  closedPort,
  fx,
  imgvet,
  oneLineError,
  parseJson,
  plantedValues,
  tempDir,
} from '../e2e/helpers.js'

test.before(assertBuilt)

const secrets = fx.secrets.image
const base = fx.images.base
const rootVariant = fx.rootUser.find((v) => v.user === 'root')
const at = (i: {ref: string; digest: string}) => `${i.ref.slice(0, i.ref.lastIndexOf(':'))}@${i.digest}`

function composeFile(t: Parameters<typeof tempDir>[0], body: string): string {
  const dir = tempDir(t, 'imgvet-compose-e2e')
  const file = join(dir, 'compose.yaml')
  writeFileSync(file, body)
  return file
}

test('compose check vets every image: USER root and planted secrets of an image are attributed to its service', async (t) => {
  if (!rootVariant) return t.fail('fixtures lack the USER root variant')
  const file = composeFile(
    t,
    [
      'services:',
      '  app:',
      `    image: ${secrets.ref}`,
      '    ports: ["127.0.0.1:8080:8080", "127.0.0.1:9999:9999"]',
      '  web:',
      `    image: ${at(base)}`,
      '  worker:',
      `    image: ${at(rootVariant.image)}`,
      '    user: "1000"',
      '',
    ].join('\n'),
  )
  const r = await imgvet(t, ['compose', 'check', file, '--format', 'json'])
  t.is(r.code, 1, r.stderr)
  const j = parseJson<ComposeReport>(r)
  t.is(j.kind, 'compose')
  t.deepEqual(j.files, [file])
  t.is(j.verdict, 'fail')
  t.deepEqual(
    j.services.map((s) => [s.name, s.image, s.digest, s.verdict]),
    [
      ['app', secrets.ref, secrets.digest, 'fail'],
      ['web', at(base), base.digest, 'pass'],
      ['worker', at(rootVariant.image), rootVariant.image.digest, 'pass'],
    ],
  )
  const app = j.findings.filter((f) => f.service === 'app')
  // The image's USER root is the service's: one finding at the service, where `user:` would fix it.
  const root = app.find((f) => f.id === 'compose.user.root')
  t.is(root?.line, 2)
  t.regex(root?.evidence ?? '', /image's USER "root" is root/)
  t.true(j.suppressed.some((f) => f.service === 'app' && f.id === 'config.user.root' && f.image === secrets.ref))
  t.false(
    app.some((f) => f.id === 'config.user.root'),
    'reported once',
  )
  for (const p of fx.secrets.planted)
    t.true(
      app.some((f) => f.path === p.path && f.image === secrets.ref),
      `${p.path} is attributed to app`,
    )
  t.true(j.reasons.some((x) => x.id === 'compose.user.root' && x.service === 'app'))
  t.true(
    j.reasons.some((x) => x.id.startsWith('private-key.') && x.service === 'app'),
    'the planted key fails the verdict',
  )
  // 8080 is EXPOSEd by the image, 9999 is not: only the image config can tell.
  t.deepEqual(
    app.filter((f) => f.id === 'compose.port.not-exposed').map((f) => [f.path, f.line]),
    [[file, 4]],
  )
  t.true(app.some((f) => f.id === 'compose.image.latest' && f.line === 3))
  t.deepEqual(
    j.findings.filter((f) => f.service === 'worker' && /^config\.user\./.test(f.id)),
    [],
    'user: "1000" makes the image USER moot',
  )
  t.true(j.suppressed.some((f) => f.service === 'worker' && f.id === 'config.user.root'))
  for (const {label, value} of plantedValues()) t.false(r.stdout.includes(value), `${label} is not printed whole`)
})

test('compose check text and sarif name the service of each finding', async (t) => {
  const file = composeFile(t, `services:\n  app:\n    image: ${secrets.ref}\n    privileged: true\n`)
  const [text, sarif] = await Promise.all([
    imgvet(t, ['compose', 'check', file]),
    imgvet(t, ['compose', 'check', file, '--format', 'sarif']),
  ])
  t.is(text.code, 1, text.stderr)
  t.regex(text.stdout, /^FAIL {2}/)
  t.regex(text.stdout, /^ {2}app +fail +/m)
  t.regex(text.stdout, /compose\.privileged[\s\S]*service app, .*compose\.yaml:4/)
  t.regex(
    text.stdout,
    new RegExp(
      `private-key\\.[a-z0-9-]+[^\\n]*\\n +service app, image ${secrets.ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
    ),
  )
  t.is(sarif.code, 1, sarif.stderr)
  const doc = parseJson<{
    runs: Array<{
      results: Array<{
        ruleId: string
        properties: {service: string}
        locations: Array<{physicalLocation: {artifactLocation: {uri: string}; region?: {startLine: number}}}>
      }>
    }>
  }>(sarif)
  const results = doc.runs[0]?.results ?? []
  const priv = results.find((x) => x.ruleId === 'compose.privileged')
  t.is(priv?.properties.service, 'app')
  t.is(priv?.locations[0]?.physicalLocation.region?.startLine, 4)
  t.false(priv?.locations[0]?.physicalLocation.artifactLocation.uri.includes(':'))
  t.true(results.some((x) => x.ruleId === 'compose.user.root' && x.properties.service === 'app'))
  const inImage = results.filter((x) => x.ruleId.startsWith('private-key.'))
  t.true(inImage.length > 0)
  for (const x of inImage) {
    t.is(x.properties.service, 'app')
    const uri = x.locations[0]?.physicalLocation.artifactLocation.uri ?? ''
    t.true(
      fx.secrets.planted.some((p) => uri.endsWith(p.path)),
      uri,
    )
  }
})

test('--no-images checks the file alone; a malformed file is exit 2 with file:line; an unreachable image is exit 3', async (t) => {
  const ok = composeFile(t, `services:\n  app:\n    image: ${secrets.ref}\n`)
  const noImages = await imgvet(t, ['compose', 'check', ok, '--no-images', '--format', 'json'])
  const j = parseJson<ComposeReport>(noImages)
  t.deepEqual(
    j.findings.map((f) => f.id),
    ['compose.image.latest'],
  )
  t.is(j.services[0]?.verdict, 'fail')
  t.is(noImages.code, 1)

  const bad = composeFile(t, 'services:\n  app:\n    image: a\n   ports: [1]\n')
  const r2 = await imgvet(t, ['compose', 'check', bad, '--no-images'])
  t.is(r2.code, 2)
  t.regex(oneLineError(r2), new RegExp(`^imgvet: bad-input: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: `))
  t.is(r2.stdout, '')

  const port = await closedPort()
  const gone = composeFile(t, `services:\n  app:\n    image: 127.0.0.1:${port}/nobody/here:1\n`)
  const r3 = await imgvet(t, ['compose', 'check', gone, '--format', 'json', '--timeout', '5'])
  t.is(r3.code, 3, r3.stderr)
  const j3 = parseJson<ComposeReport>(r3)
  t.is(j3.services[0]?.verdict, 'error')
  t.true(j3.reasons.some((x) => x.id === 'compose.image.not-vetted'))
})

test('build: with image: that the registry does not hold yet is "built locally, not vetted", not exit 3', async (t) => {
  const file = composeFile(
    t,
    `services:\n  app:\n    build: .\n    image: ${fx.registries.plain.host}/imgvet/not-built-yet:dev\n`,
  )
  const r = await imgvet(t, ['compose', 'check', file, '--format', 'json'])
  t.is(r.code, 0, r.stderr)
  const j = parseJson<ComposeReport>(r)
  t.is(j.services[0]?.verdict, 'not-vetted')
  t.regex(j.services[0]?.note ?? '', /^built locally, not vetted \(no-such-image: no such repository /)
  t.true(j.notes.some((n) => n.startsWith('app: built locally')))
})
