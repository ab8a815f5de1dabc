// `npm run build` replaces the validators ajv compiles at run time with code it generated ahead of time
// (src/policy/ajv.ts). This loads that generated module (made by the same function the build calls) next to the
// run-time-compiled one and holds them to the same verdicts, the same ajv errors and the same issues users read,
// on the shipped presets and on broken policies and allow files covering every keyword and format the schemas use.
import test from 'ava'
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {validatorsModule} from '../../src/policy/ajv.js'
import {parseYaml} from '../../src/policy/lines.js'
import {schemaIssues} from '../../src/policy/load.js'
import type {ValidateFunction} from '../../src/policy/schema.js'
import {allowFileValidator, policyValidator} from '../../src/policy/validators.js'

const SRC = join(import.meta.dirname, '..', '..', 'src', 'policy')
const PRESETS = join(import.meta.dirname, '..', '..', 'trust-policies')

const scope = (body: string) => `version: 1\nscopes:\n  - match: "**"\n${body}`
const BROKEN_POLICIES: Record<string, string> = {
  'unknown key with a typo': 'version: 1\nscopes:\n  - match: a.io/b\n    user:\n      nonroot: true\n',
  'unknown top-level key': 'version: 1\nscopse: []\n',
  'wrong types': 'version: 1\nscopes:\n  - match: a.io/b\n    maxAgeDays: ten\n    refuseTagOnly: "yes"\n',
  'date that does not exist': scope('    allow:\n      - id: x\n        reason: fixture\n        expires: 2025-02-30\n'),
  'allow entry without reason and expiry': scope('    allow:\n      - id: x\n'),
  'bad globs': 'version: 1\nscopes:\n  - match: "foo/[abc"\n  - match: docker.io/library/nginx:latest\n'
    + '  - match: [ok.io/a, /abs/path]\n    allow:\n      - path: "/x/[y"\n        reason: r\n        expires: 2030-01-01\n',
  'bad regexes and severities': scope('    secrets: {failOn: urgent}\n    signatures:\n      required: true\n'
    + '      identities:\n        - issuer: https://x\n          subjectRegExp: "(unclosed"\n'
    + '    provenance:\n      required: true\n      builderIds: ["/[/"]\n'),
  'semantic rules only (schema-valid)': scope('    signatures: {required: true, identities: [{issuer: x}]}\n'
    + '    allow:\n      - reason: r\n        expires: 2030-01-01\n    user: {nonRoot: true, allowedUids: [0, 1000]}\n'),
  'missing version': 'scopes:\n  - match: "**"\n',
  'empty scope list': 'version: 1\nscopes: []\n',
  'wrong version': 'version: 2\nscopes:\n  - match: "**"\n',
  'root is a list': '- a\n- b\n',
  'root is a string': 'hello\n',
  'scopes is a mapping': 'version: 1\nscopes: {match: x}\n',
  'scope is a string': 'version: 1\nscopes: [x]\n',
  'match is a number and an empty list': 'version: 1\nscopes:\n  - match: 5\n  - match: []\n',
  'empty name, numeric description': 'version: 1\nname: ""\ndescription: 3\nscopes:\n  - match: "**"\n',
  'bad ports, uids, ages': scope('    ports: {allow: ["0", "70000/tcp", "90-80", "53/icmp", 8080]}\n'
    + '    user: {nonRoot: false, allowedUids: [-1, 1.5, 4294967296, "x"]}\n    maxAgeDays: 0\n'),
  'bad signatures block': scope('    signatures: {keys: [""], repository: "no slash", identities: [{subject: ""}],'
    + ' notation: {trustStore: [], identities: []}, extra: 1}\n'),
  'bad defaults': 'version: 1\ndefaults:\n  failOn: nope\n  official: {required: "yes"}\n  labels: {required: [""]}\n'
    + '  baseImages: {allow: ["docker.io/x:tag", "/abs"]}\n  bogus: true\nscopes:\n  - match: "**"\n',
  'bad allow entries': scope('    allow:\n      - {fingerprint: "XYZ", reason: "", expires: "2030-1-1", package: "a b"}\n'
    + '      - {id: "[", path: "relative/*", reason: r, expires: 20300101}\n      - just a string\n    notChecked: 3\n'),
  'provenance patterns': scope('    provenance: {required: 1, sourceRepositories: ["/(/", "ok/**", ""], builderIds: "x"}\n'),
  'null values': scope('    failOn:\n    user:\n    allow:\n'),
}

const BROKEN_ALLOW_FILES: Record<string, string> = {
  valid: 'allow:\n  - id: aws-*\n    reason: test keys\n    expires: 2030-01-01\n',
  'no allow list': 'entries: []\n',
  'misspelt key': 'allow:\n  - id: x\n    reasn: r\n    expires: 2030-01-01\n',
  'bad values': 'allow:\n  - {path: "no/slash", fingerprint: "g", reason: 1, expires: 2030-13-01}\n  - 5\n',
  'allow is a mapping': 'allow: {id: x}\n',
}

async function generated(t: {teardown(f: () => void): void}) {
  const dir = mkdtempSync(join(tmpdir(), 'imgvet-validators-'))
  t.teardown(() => rmSync(dir, {recursive: true, force: true}))
  const schema = pathToFileURL(join(SRC, 'schema.ts')).href
  const file = join(dir, 'validators.mjs')
  // Resolved from the sources, so the ajv runtime helpers and the formats are found from a temporary directory.
  writeFileSync(file, validatorsModule(schema, JSON.stringify(pathToFileURL(join(SRC, 'ajv.ts')).href)))
  return (await import(pathToFileURL(file).href)) as {policyValidator(): ValidateFunction; allowFileValidator(): ValidateFunction}
}

function same(t: import('ava').ExecutionContext, name: string, text: string, a: ValidateFunction, b: ValidateFunction) {
  const parsed = parseYaml(text, 'p.yaml')
  t.deepEqual(parsed.issues, [], `${name}: the fixture is YAML`)
  const verdict = a(parsed.data)
  t.is(b(parsed.data), verdict, `${name}: verdict`)
  t.deepEqual(b.errors ?? null, a.errors ?? null, `${name}: ajv errors`)
  const issues = schemaIssues(parsed, 'p.yaml', a)
  t.deepEqual(schemaIssues(parsed, 'p.yaml', b), issues, `${name}: issues`)
  return {verdict, issues}
}

test('generated and run-time-compiled policy validators agree on the presets and on broken policies', async (t) => {
  const gen = await generated(t)
  const presets = readdirSync(PRESETS).filter((n) => n.endsWith('.yaml'))
  t.true(presets.length >= 3)
  for (const n of presets) {
    t.true(same(t, n, readFileSync(join(PRESETS, n), 'utf8'), policyValidator(), gen.policyValidator()).verdict, n)
  }
  const keywords = new Set<string>()
  for (const [name, text] of Object.entries(BROKEN_POLICIES)) {
    const r = same(t, name, text, policyValidator(), gen.policyValidator())
    if (name.includes('schema-valid')) t.true(r.verdict, name)
    else t.true(r.issues.length > 0, name)
    for (const e of policyValidator().errors ?? []) keywords.add(e.keyword === 'format' ? `format:${String(e.params.format)}` : e.keyword)
  }
  // The corpus exercises every keyword and format the schema uses, so agreement covers all of it.
  const used = JSON.stringify(policyValidator().schema)
  const expected = [...new Set([...used.matchAll(/"(additionalProperties|required|type|enum|const|minItems|minLength|minimum|maximum|pattern)"/g)]
    .map((m) => m[1] as string)), ...[...used.matchAll(/"format":"([a-z-]+)"/g)].map((m) => `format:${m[1]}`)]
  t.deepEqual([...new Set(expected)].filter((k) => !keywords.has(k)), [])
})

test('generated and run-time-compiled allow-file validators agree', async (t) => {
  const gen = await generated(t)
  for (const [name, text] of Object.entries(BROKEN_ALLOW_FILES)) {
    const r = same(t, name, text, allowFileValidator(), gen.allowFileValidator())
    t.is(r.verdict, name === 'valid', name)
  }
})

test('users read the same messages from the generated validators', async (t) => {
  const gen = await generated(t)
  const text = BROKEN_POLICIES['unknown key with a typo'] as string
  const [issue] = schemaIssues(parseYaml(text, 'p.yaml'), 'p.yaml', gen.policyValidator())
  t.deepEqual(issue, {file: 'p.yaml', line: 5, key: 'scopes[0].user.nonroot',
    message: 'unknown key (did you mean "nonRoot"?); allowed: nonRoot, allowedUids'})
  const dates = schemaIssues(parseYaml(BROKEN_POLICIES['date that does not exist'] as string, 'p.yaml'), 'p.yaml',
    gen.policyValidator())
  t.deepEqual(dates.map((i) => i.message), ['must be a date written YYYY-MM-DD that exists, got "2025-02-30"'])
})
