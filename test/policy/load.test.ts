import test from 'ava'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {checkPolicyText, listPresets, loadPolicy, parsePolicy, PolicyError, presetsDir, resolvePolicyPath} from '../../src/policy/load.js'
import {isImgvetError} from '../../src/errors.js'
import {makeTempDir} from '../support/tmp.js'

const issues = (text: string) => checkPolicyText(text, 'p.yaml').issues

const VALID = `version: 1
name: team
scopes:
  - match: registry.example.com/team/**
    user: {nonRoot: true}
`

test('a valid policy has no issues', (t) => {
  t.deepEqual(issues(VALID), [])
})

test('an unknown key names its line and suggests the right spelling', (t) => {
  const found = issues('version: 1\nscopes:\n  - match: a.io/b\n    user:\n      nonroot: true\n')
  t.is(found.length, 1, JSON.stringify(found))
  t.like(found[0], {file: 'p.yaml', line: 5, key: 'scopes[0].user.nonroot'})
  t.regex(found[0]?.message ?? '', /unknown key \(did you mean "nonRoot"\?\)/)
})

test('a wrong type names the line and key', (t) => {
  const found = issues('version: 1\nscopes:\n  - match: a.io/b\n    maxAgeDays: ten\n    refuseTagOnly: "yes"\n')
  t.deepEqual(
    found.map((i) => [i.line, i.key]),
    [
      [4, 'scopes[0].maxAgeDays'],
      [5, 'scopes[0].refuseTagOnly'],
    ],
  )
  t.regex(found[0]?.message ?? '', /must be integer, got "ten"/)
})

test('a date that does not exist is refused with its line', (t) => {
  const text = 'version: 1\nscopes:\n  - match: "**"\n    allow:\n      - id: x\n        reason: fixture\n        expires: 2025-02-30\n'
  const [i] = issues(text)
  t.like(i, {line: 7, key: 'scopes[0].allow[0].expires'})
  t.regex(i?.message ?? '', /date/)
})

test('allow entries need reason and expires', (t) => {
  const found = issues('version: 1\nscopes:\n  - match: "**"\n    allow:\n      - id: x\n')
  t.deepEqual(found.map((i) => i.key).sort(), ['scopes[0].allow[0].expires', 'scopes[0].allow[0].reason'])
  t.true(found.every((i) => i.line === 5))
})

test('bad globs are refused: unbalanced bracket, tag in a scope, leading slash', (t) => {
  const found = issues('version: 1\nscopes:\n  - match: "foo/[abc"\n  - match: docker.io/library/nginx:latest\n  - match: [ok.io/a, /abs/path]\n    allow:\n      - path: "/x/[y"\n        reason: r\n        expires: 2030-01-01\n')
  t.deepEqual(
    found.map((i) => [i.line, i.key]),
    [
      [3, 'scopes[0].match'],
      [4, 'scopes[1].match'],
      [5, 'scopes[2].match[1]'],
      [7, 'scopes[2].allow[0].path'],
    ],
  )
})

test('registry ports are allowed in scope globs', (t) => {
  t.deepEqual(issues('version: 1\nscopes:\n  - match: localhost:5000/**\n'), [])
})

test('bad regexes and severities are refused', (t) => {
  const found = issues(
    'version: 1\nscopes:\n  - match: "**"\n    secrets: {failOn: urgent}\n    signatures:\n      required: true\n      identities:\n        - issuer: https://x\n          subjectRegExp: "(unclosed"\n    provenance:\n      required: true\n      builderIds: ["/[/"]\n',
  )
  t.deepEqual(found.map((i) => [i.line, i.key]), [
    [4, 'scopes[0].secrets.failOn'],
    [9, 'scopes[0].signatures.identities[0].subjectRegExp'],
    [12, 'scopes[0].provenance.builderIds[0]'],
  ])
})

test('semantic rules: exactly one subject form, allow entries must match something, uid 0 with nonRoot', (t) => {
  const found = issues(
    'version: 1\nscopes:\n  - match: "**"\n    signatures: {required: true, identities: [{issuer: x}]}\n    allow:\n      - reason: r\n        expires: 2030-01-01\n    user: {nonRoot: true, allowedUids: [0, 1000]}\n',
  )
  t.deepEqual(found.map((i) => [i.line, i.key]), [
    [4, 'scopes[0].signatures.identities[0]'],
    [6, 'scopes[0].allow[0]'],
    [8, 'scopes[0].user.allowedUids'],
  ])
})

test('YAML syntax errors and duplicate keys carry lines', (t) => {
  const [dup] = issues('version: 1\nscopes: []\nversion: 1\n')
  t.like(dup, {line: 3, key: '(yaml)'})
  const [syn] = issues('version: 1\nscopes:\n  - match: "a\n')
  t.is(syn?.key, '(yaml)')
  t.true((syn?.line ?? 0) >= 3)
})

test('an empty document, a missing version and an empty scope list are refused', (t) => {
  t.is(issues('')[0]?.key, '(root)')
  t.true(issues('scopes:\n  - match: "**"\n').some((i) => i.key === 'version'))
  t.true(issues('version: 1\nscopes: []\n').some((i) => i.key === 'scopes'))
  t.true(issues('version: 2\nscopes:\n  - match: "**"\n').some((i) => i.key === 'version' && i.line === 1))
})

test('alias bombs are refused, not expanded', (t) => {
  const bomb = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n'
  const found = issues(bomb)
  t.true(found.length > 0)
  t.is(found[0]?.key, '(yaml)')
})

test('parsePolicy throws a PolicyError with every issue, exit code 2', (t) => {
  const err = t.throws(() => parsePolicy('version: 1\nscopes:\n  - match: "**"\n    maxAgeDays: 0\n    bogus: 1\n', 'x.yaml'))
  t.true(err instanceof PolicyError)
  t.true(isImgvetError(err))
  if (err instanceof PolicyError) {
    t.is(err.code, 'bad-policy')
    t.is(err.exitCode, 2)
    t.is(err.issues.length, 2)
    t.is(err.where, 'x.yaml:4')
  }
})

test('defaults merge into every scope, a scope key replacing the default whole', (t) => {
  const p = parsePolicy(
    'version: 1\ndefaults:\n  failOn: medium\n  user: {nonRoot: true}\n  allow:\n    - {id: x, reason: r, expires: 2030-01-01}\nscopes:\n  - match: a.io/**\n    user: {nonRoot: false}\n  - match: "**"\n',
    'd.yaml',
  )
  t.is(p.scopes[0]?.failOn, 'medium')
  t.false(p.scopes[0]?.user?.nonRoot)
  t.true(p.scopes[1]?.user?.nonRoot)
  t.is(p.scopes[1]?.allow?.[0]?.line, 6, 'inherited allow entries keep their own line')
  t.is(p.name, 'd')
})

test('signature key paths resolve relative to the policy file', (t) => {
  const dir = makeTempDir('policy-keys')
  mkdirSync(join(dir, 'keys'))
  const file = join(dir, 'p.yaml')
  writeFileSync(file, 'version: 1\nscopes:\n  - match: "**"\n    signatures: {required: true, keys: [keys/cosign.pub, /etc/abs.pub]}\n')
  return loadPolicy(file).then((p) => {
    t.deepEqual(p.scopes[0]?.signatures?.keys, [join(dir, 'keys/cosign.pub'), '/etc/abs.pub'])
  })
})

test('presets are found by name, every shipped preset is valid and names its seed rules', async (t) => {
  const names = await listPresets()
  t.true(['default', 'docker-official', 'release-gate'].every((n) => names.includes(n)))
  for (const n of names) {
    const p = await loadPolicy(n)
    t.is(p.source, `preset:${n}`)
    t.is(p.name, n)
    t.true(p.file.startsWith(presetsDir()))
    const {readFileSync} = await import('node:fs')
    const header = readFileSync(p.file, 'utf8').split('\n').filter((l) => l.startsWith('#')).join('\n')
    t.regex(header, /Seed rules enforced/, n)
  }
})

test('the release gate is strict: tag refused, signatures and provenance required, unchecked fails', async (t) => {
  const s = (await loadPolicy('release-gate')).scopes[0]
  t.true(s?.refuseTagOnly)
  t.true(s?.signatures?.required)
  t.true(s?.provenance?.required)
  t.is(s?.notChecked, 'critical')
})

test('a FILE argument wins over presets when it has a path or YAML extension; unknown names list the presets', async (t) => {
  const dir = makeTempDir('policy-resolve')
  writeFileSync(join(dir, 'default.yaml'), VALID)
  const r = await resolvePolicyPath('default.yaml', dir)
  t.is(r.path, join(dir, 'default.yaml'))
  t.is(r.display, 'default.yaml')
  t.is((await resolvePolicyPath('default', dir)).source, 'preset:default')
  const err = await t.throwsAsync(resolvePolicyPath('nope', dir))
  t.regex(err?.message ?? '', /presets: default, docker-official, release-gate/)
})
