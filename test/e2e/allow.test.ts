import test from 'ava'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {assertBuilt, imgvet, oneLineError, parseJson, SECRETS, tempDir, type Finding, type ScanJson} from './helpers.js'

test.before(assertBuilt)

const FUTURE = `${new Date().getUTCFullYear() + 2}-12-31`
const PAST = '2001-01-01'

function ids(list: readonly Finding[]): string[] {
  return list.map((f) => `${f.id} ${f.path ?? '-'}`).sort()
}

test('scan --allow: entries by id, path glob and fingerprint move findings to suppressed; expired and unused entries are reported', async (t) => {
  const base = await imgvet(t, ['scan', SECRETS, '--format', 'json'])
  t.is(base.code, 0, base.stderr)
  const all = parseJson<ScanJson>(base).findings
  t.deepEqual(parseJson<ScanJson>(base).suppressed, [], 'nothing suppressed without --allow')
  const dotenv = all.find((f) => f.path === '/app/.env')
  t.truthy(dotenv, 'the .env finding to allow by fingerprint')
  const fp = (dotenv?.fingerprint ?? '').slice(0, 12)

  const dir = tempDir(t, 'imgvet-e2e-allow')
  const file = join(dir, 'allow.yaml')
  writeFileSync(file, [
    'allow:',
    '  - id: private-key.pkcs8',
    '    reason: test TLS key, rotated by the vendor',
    `    expires: ${FUTURE}`,
    "  - path: '/root/.aws/*'",
    '    reason: dummy AWS profile for the integration tests',
    `    expires: ${FUTURE}`,
    `  - fingerprint: '${fp}'`,
    '    reason: token revoked',
    `    expires: ${FUTURE}`,
    '  - id: private-key.rsa',
    '    reason: old exception',
    `    expires: ${PAST}`,
    '  - id: no.such.finding',
    '    reason: left over from last year',
    `    expires: ${FUTURE}`,
    '',
  ].join('\n'))

  const r = await imgvet(t, ['scan', SECRETS, '--format', 'json', '--allow', file])
  t.is(r.code, 0, r.stderr)
  const j = parseJson<ScanJson>(r)

  const expectSuppressed = all.filter((f) => f.id === 'private-key.pkcs8' || f.path?.startsWith('/root/.aws/') || f.fingerprint.startsWith(fp))
  t.true(expectSuppressed.length >= 4, ids(expectSuppressed).join(', '))
  t.deepEqual(ids(j.suppressed), ids(expectSuppressed))
  const reasonOf = (f: Finding) => (f.id === 'private-key.pkcs8' ? 'test TLS key, rotated by the vendor' : f.path === '/app/.env' ? 'token revoked' : 'dummy AWS profile for the integration tests')
  for (const f of j.suppressed) {
    t.is(f.note, `allowlisted until ${FUTURE}: ${reasonOf(f)}`, `${f.id} ${f.path}`)
    t.true(all.some((x) => x.fingerprint === f.fingerprint), 'a suppressed finding is one the scan made, unchanged')
  }
  const suppressedFps = new Set(j.suppressed.map((f) => f.fingerprint))
  t.false(j.findings.some((f) => suppressedFps.has(f.fingerprint)), 'suppressed findings are no longer findings')
  t.is(j.summary.bySeverity['critical'], 0, 'the summary counts what is left (the AWS key pair was the only critical)')

  // The expired entry stops applying: the finding stays, with a note, and the entry is reported.
  const rsa = j.findings.filter((f) => f.id === 'private-key.rsa')
  t.is(rsa.length, 1)
  t.regex(rsa[0]?.note ?? '', new RegExp(`allowlist entry expired ${PAST} \\(old exception\\); no longer suppressed`))
  const expired = j.findings.filter((f) => f.id === 'policy.allow.expired')
  t.is(expired.length, 1)
  t.true(expired[0]?.evidence.includes(file), 'the notice names the allow file')
  t.regex(expired[0]?.evidence ?? '', /id=private-key\.rsa.*expired 2001-01-01; it would have matched 1 finding/)

  const unused = j.findings.filter((f) => f.id === 'policy.allow.unused')
  t.is(unused.length, 1, 'only the entry that matched nothing is unused')
  t.regex(unused[0]?.evidence ?? '', /id=no\.such\.finding.*matched no finding/)
  t.is(unused[0]?.note, 'reason given: left over from last year')

  // Everything else is exactly what the scan without --allow found.
  const rest = j.findings.filter((f) => !f.id.startsWith('policy.allow.'))
  t.deepEqual(rest.map((f) => f.fingerprint).sort(), all.filter((f) => !suppressedFps.has(f.fingerprint)).map((f) => f.fingerprint).sort())
})

test('scan --allow in text output: the expired and unused entries are listed', async (t) => {
  const file = join(tempDir(t, 'imgvet-e2e-allow'), 'allow.yaml')
  writeFileSync(file, `allow:\n  - id: private-key.rsa\n    reason: old\n    expires: ${PAST}\n  - path: /nowhere/*\n    reason: stale\n    expires: ${FUTURE}\n`)
  const r = await imgvet(t, ['scan', SECRETS, '--allow', file])
  t.is(r.code, 0, r.stderr)
  t.regex(r.stdout, /policy\.allow\.expired\s+Allowlist entry has expired/)
  t.regex(r.stdout, /policy\.allow\.unused\s+Allowlist entry matched nothing/)
  t.regex(r.stdout, /path=\/nowhere\/\*/)
})

const MALFORMED: Array<{name: string; text: string; message: RegExp}> = [
  {name: 'invalid YAML', text: 'allow:\n  - id: [unclosed\n    reason: x\n', message: /^imgvet: bad-policy: \(yaml\): .*\(FILE:\d+\)$/},
  {name: 'no allow list', text: 'ignore:\n  - id: x\n', message: /^imgvet: bad-policy: ignore: unknown key; allowed: allow \(and 1 more\) \(FILE:1\)$/},
  {name: 'an empty file', text: '', message: /^imgvet: bad-policy: \(root\): expected a mapping with a top-level "allow:" list \(FILE:1\)$/},
  {name: 'entry without a reason', text: `allow:\n  - id: private-key.rsa\n    expires: ${FUTURE}\n`, message: /^imgvet: bad-policy: allow\[0\]\.reason: is required \(FILE:2\)$/},
  {name: 'entry without expiry', text: 'allow:\n  - id: private-key.rsa\n    reason: x\n', message: /^imgvet: bad-policy: allow\[0\]\.expires: is required \(FILE:2\)$/},
  {name: 'entry without a matcher', text: `allow:\n  - reason: x\n    expires: ${FUTURE}\n`, message: /^imgvet: bad-policy: allow\[0\]: needs at least one of path, id, fingerprint or package .*\(FILE:2\)$/},
  {name: 'a date that does not exist', text: 'allow:\n  - id: x\n    reason: r\n    expires: 2027-02-30\n', message: /^imgvet: bad-policy: allow\[0\]\.expires: must be a date written YYYY-MM-DD that exists, got "2027-02-30" \(FILE:4\)$/},
  {name: 'a fingerprint that is not hex', text: `allow:\n  - fingerprint: xyz\n    reason: r\n    expires: ${FUTURE}\n`, message: /^imgvet: bad-policy: allow\[0\]\.fingerprint: must match .* \(FILE:2\)$/},
]

for (const m of MALFORMED) {
  test(`scan --allow with ${m.name}: exit 2, one line naming the file`, async (t) => {
    const file = join(tempDir(t, 'imgvet-e2e-allow'), 'bad-allow.yaml')
    writeFileSync(file, m.text)
    const r = await imgvet(t, ['scan', SECRETS, '--allow', file])
    t.is(r.code, 2, r.stderr)
    t.is(r.stdout, '')
    const line = oneLineError(r)
    t.true(line.includes(file), line)
    t.regex(line.replace(file, 'FILE'), m.message)
  })
}

test('scan --allow with a missing file: exit 2 naming the file', async (t) => {
  const file = join(tempDir(t, 'imgvet-e2e-allow'), 'missing.yaml')
  const r = await imgvet(t, ['scan', SECRETS, '--allow', file])
  t.is(r.code, 2, r.stderr)
  t.is(oneLineError(r), `imgvet: bad-input: cannot read allow file: ENOENT (${file})`)
})
