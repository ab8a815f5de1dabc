import test from 'ava'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {buildValidImage, type TestImage} from '../support/hostile-image.js'
import {rsaPrivateKeyPem} from '../support/fake-secrets.js'
import {reportValidator, schemaErrors} from '../report/report-schemas.js'
import {sarifValidator} from './sarif-schema.js'
import {runCli} from '../support/cli.js'
import {assertBuilt, fx, imgvet, parseJson, SECRETS, tempDir, type CliResult, type Finding, type ScanJson} from './helpers.js'

test.before(assertBuilt)

const validateSarif = sarifValidator()
const FUTURE = `${new Date().getUTCFullYear() + 2}-12-31`

interface Sarif {
  runs: Array<{
    automationDetails: {id: string}
    tool: {driver: {rules: Array<{id: string; help: {text: string}; properties: Record<string, string>}>}}
    results: Array<{
      ruleId: string; ruleIndex: number; level: string; properties: Record<string, unknown>
      suppressions?: Array<{kind: string; status: string; justification: string}>
      locations: Array<{physicalLocation: {artifactLocation: {uri: string}}}>
    }>
  }>
}

/** A one-image OCI layout written by hand: what `oci:DIR:TAG` reads. */
function writeLayout(dir: string, img: TestImage, tag: string): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), {recursive: true})
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({imageLayoutVersion: '1.0.0'}))
  const put = (digest: string, data: Buffer) => writeFileSync(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), data)
  put(img.manifestDigest, img.manifest)
  for (const [d, data] of img.blobs) put(d, data)
  writeFileSync(join(dir, 'index.json'), JSON.stringify({schemaVersion: 2, manifests: [{
    mediaType: img.manifestMediaType, digest: img.manifestDigest, size: img.manifest.length,
    annotations: {'org.opencontainers.image.ref.name': tag},
  }]}))
}

const ODD = '/opt/my app/100% real/id_rsa'

test('SARIF of an image whose key lives at a path with a space and %: valid 2.1.0, the URI percent-encoded', async (t) => {
  const dir = join(tempDir(t, 'imgvet-e2e-odd'), 'layout')
  writeLayout(dir, await buildValidImage({[ODD.slice(1)]: await rsaPrivateKeyPem('pkcs1')}), 'v1.2')
  const r = await imgvet(t, ['scan', `oci:${dir}:v1.2`, '--format', 'sarif'])
  t.is(r.code, 0, r.stderr)
  const log = parseJson<Sarif>(r)
  t.true(validateSarif(log), JSON.stringify(validateSarif.errors?.slice(0, 3)))
  const run = log.runs[0]
  const key = run?.results.find((x) => x.ruleId.startsWith('private-key.rsa'))
  const uri = key?.locations[0]?.physicalLocation.artifactLocation.uri ?? ''
  t.true(uri.endsWith('/opt/my%20app/100%25%20real/id_rsa'), uri)
  t.is(decodeURIComponent(uri.slice(uri.indexOf('/opt/'))), ODD)
  t.false(uri.includes(':'), uri)
  // The category names the repository, never the tag: v1.3 of the same image closes v1.2's alerts.
  t.false(run?.automationDetails.id.includes('v1.2'), run?.automationDetails.id)
})

test('scan --allow: SARIF emits suppressed findings with suppressions, JUnit as skipped, text counts them by file', async (t) => {
  const file = join(tempDir(t, 'imgvet-e2e-allow-formats'), 'allow.yaml')
  writeFileSync(file, `allow:\n  - id: 'private-key.*'\n    reason: test keys, rotated\n    expires: ${FUTURE}\n`)
  // One after another: four scans at once time out on a loaded CI machine.
  const runs: CliResult[] = []
  for (const f of ['json', 'sarif', 'junit', 'text']) runs.push(await imgvet(t, ['scan', SECRETS, '--allow', file, '--format', f]))
  const [json, sarif, junit, text] = runs
  for (const r of [json, sarif, junit, text]) t.is(r?.code, 0, r?.stderr)
  const j = parseJson<ScanJson>(json as never)
  t.true(j.suppressed.length >= 2, `${j.suppressed.length} suppressed`)
  for (const f of j.suppressed) t.regex((f as Finding & {allowedBy?: string}).allowedBy ?? '', new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2$`))

  const log = parseJson<Sarif>(sarif as never)
  t.true(validateSarif(log), JSON.stringify(validateSarif.errors?.slice(0, 3)))
  const results = log.runs[0]?.results ?? []
  const hidden = results.filter((x) => x.suppressions?.length)
  t.is(results.length, j.findings.length + j.suppressed.length)
  t.is(hidden.length, j.suppressed.length)
  for (const x of hidden) {
    t.true(x.ruleId.startsWith('private-key.'), x.ruleId)
    t.deepEqual(x.suppressions, [{kind: 'external', status: 'accepted', justification: `allowlisted until ${FUTURE}: test keys, rotated`}])
  }

  const xml = junit?.stdout ?? ''
  const skipped = [...xml.matchAll(/<testcase classname="([^"]+)" name="([^"]+)"><skipped message="([^"]+)"\/><\/testcase>/g)]
  t.is(skipped.length, j.suppressed.length)
  t.regex(xml, new RegExp(`<testsuite [^>]*skipped="${j.suppressed.length}"`))
  // A dashboard splits classnames at dots: the registry host and tag keep none, the one left is image.category.
  for (const m of xml.matchAll(/classname="([^"]+)"/g)) {
    const cls = m[1] ?? ''
    t.true((cls.match(/\./g) ?? []).length <= 1, cls)
    t.true(cls.startsWith(`${fx.registries.plain.host}/`.replace(/\./g, '_')), cls)
  }

  const out = text?.stdout ?? ''
  t.true(out.includes(`${j.suppressed.length} findings suppressed by ${file}:`), out.slice(-800))
  for (const f of j.suppressed) t.true(out.includes(`  ${f.id}  ${f.path}`), `${f.id} ${f.path} listed`)
  t.true(out.trimEnd().endsWith('test keys, rotated)'), 'the list is at the end')
})

test('vet --allow: the file suppresses as a policy allowlist does, and its entries are reported by file:line', async (t) => {
  const file = join(tempDir(t, 'imgvet-e2e-vet-allow'), 'allow.yaml')
  writeFileSync(file, `# exceptions for the test image\nallow:\n  - path: /app/.env\n    reason: revoked\n    expires: ${FUTURE}\n  - id: no.such.rule\n    reason: stale\n    expires: ${FUTURE}\n`)
  const before = await imgvet(t, ['vet', SECRETS, '--format', 'json'])
  const after = await imgvet(t, ['vet', SECRETS, '--format', 'json', '--allow', file])
  const b = parseJson<ScanJson>(before as never)
  const a = parseJson<ScanJson & {reasons: unknown[]}>(after as never)
  const env = b.findings.filter((f) => f.path === '/app/.env')
  t.true(env.length >= 1)
  t.deepEqual(a.suppressed.map((f) => f.fingerprint).sort(), env.map((f) => f.fingerprint).sort())
  t.false(a.findings.some((f) => f.path === '/app/.env'))
  const unused = a.findings.find((f) => f.id === 'policy.allow.unused')
  t.regex(unused?.evidence ?? '', new RegExp(`allow entry ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6 \\(id=no\\.such\\.rule\\)`))
})

test('allowlist dates are validated and keys get "did you mean": exit 2, one line with file:line', async (t) => {
  const dir = tempDir(t, 'imgvet-e2e-allow-bad')
  const cases: Array<[string, string, RegExp]> = [
    ['date.yaml', 'allow:\n  - id: x\n    reason: r\n    expires: 2027-02-30\n', /^imgvet: bad-policy: allow\[0\]\.expires: must be a date written YYYY-MM-DD that exists, got "2027-02-30" \(FILE:4\)$/],
    ['typo.yaml', `allow:\n  - id: x\n    reson: r\n    expires: ${FUTURE}\n`, /^imgvet: bad-policy: allow\[0\]\.reson: unknown key \(did you mean "reason"\?\); allowed: .* \(FILE:3\)$/],
  ]
  for (const [name, body, want] of cases) {
    const file = join(dir, name)
    writeFileSync(file, body)
    for (const cmd of ['scan', 'vet']) {
      const r = await imgvet(t, [cmd, 'oci:examples/clean', '--allow', file])
      t.is(r.code, 2, `${cmd} ${name}: ${r.stderr}`)
      t.is(r.stdout, '')
      const lines = r.stderr.trim().split('\n')
      t.is(lines.length, 1, r.stderr)
      t.regex((lines[0] ?? '').replace(file, 'FILE'), want)
    }
  }
})

test('the JSON reports validate against the published schemas, and the schemas are not vacuous', async (t) => {
  const scan = reportValidator('scan-report')
  const vet = reportValidator('vet-report')
  const file = join(tempDir(t, 'imgvet-e2e-schema'), 'allow.yaml')
  writeFileSync(file, `allow:\n  - id: 'private-key.*'\n    reason: test keys\n    expires: ${FUTURE}\n`)
  const runs = await Promise.all([
    imgvet(t, ['scan', SECRETS, '--format', 'json', '--allow', file]),
    imgvet(t, ['scan', 'oci:examples/vulnerable', '--format', 'json']),
    imgvet(t, ['vet', SECRETS, '--format', 'json']),
    imgvet(t, ['vet', 'oci:examples/clean', '--format', 'json']),
    imgvet(t, ['scan', `docker-archive:${fx.archives.dockerArchive.path}`, '--format', 'json']),
    // Could not complete: a registry that is not there still writes a report that says so.
    imgvet(t, ['vet', '127.0.0.1:9/nothing/here:1', '--format', 'json', '--timeout', '2s']),
  ])
  const [s1, s2, v1, v2, archive, failed] = runs.map((r) => JSON.parse(r?.stdout ?? '{}') as Record<string, unknown>)
  for (const [i, doc] of [s1, s2, archive].entries()) {
    t.true(scan(doc), `scan #${i}: ${schemaErrors(scan)}`)
    t.is(doc?.schemaVersion, 1)
  }
  for (const [i, doc] of [v1, v2, failed].entries()) t.true(vet(doc), `vet #${i}: ${schemaErrors(vet)}`)
  t.is(runs[5]?.code, 3, runs[5]?.stderr)
  t.truthy((failed as {error?: unknown}).error)
  // A report that drops a required field, or grows one the schema does not document, fails.
  const findings = (s1 as {findings: Array<Record<string, unknown>>}).findings
  t.true(findings.length > 0)
  const broken = structuredClone(s1) as {findings: Array<Record<string, unknown>>}
  delete broken.findings[0]?.fingerprint
  t.false(scan(broken))
  t.false(scan({...s1, surprise: true}))
  t.false(vet({...v1, verdict: 'maybe'}))
  t.false(vet({...v1, kind: 'scan'}))
  // The published files leave objects open for additions; only the tests close them.
  t.true(reportValidator('scan-report', {strict: false})({...s1, surprise: true}))
})

test('a docker-archive digest is labelled as synthesised in scan, vet and inspect (text and JSON)', async (t) => {
  const ref = `docker-archive:${fx.archives.dockerArchive.path}`
  const [scanText, scanJson, vetText, inspectText, inspectJson, registry] = await Promise.all([
    imgvet(t, ['scan', ref]), imgvet(t, ['scan', ref, '--format', 'json']), imgvet(t, ['vet', ref]),
    // inspect reads no layer, so it has no cache to point elsewhere.
    runCli(['inspect', ref]), runCli(['inspect', ref, '--format', 'json']), imgvet(t, ['scan', SECRETS, '--format', 'json']),
  ])
  const label = "synthesised by imgvet from the archive's manifest.json, not a registry digest"
  for (const r of [scanText, vetText, inspectText]) t.true(r?.stdout.includes(label), r?.stdout.slice(0, 400))
  t.true(scanText?.stdout.split('\n').some((l) => l.startsWith('Digest: sha256:') && l.includes(label)))
  t.is((parseJson<{image: {digestSynthesised?: boolean}}>(scanJson as never)).image.digestSynthesised, true)
  t.is((parseJson<{digestSynthesised?: boolean}>(inspectJson as never)).digestSynthesised, true)
  // A registry image's digest is the registry's: no label.
  t.is((parseJson<{image: {digestSynthesised?: boolean}}>(registry as never)).image.digestSynthesised, undefined)
})

test('registry scan and registry merge --format json validate against registry-report.schema.json', async (t) => {
  const dir = tempDir(t, 'imgvet-e2e-registry-schema')
  const validate = reportValidator('registry-report')
  const host = fx.registries.plain.host
  const shards = await Promise.all([0, 1].map((i) => runCli(['registry', 'scan', host, '--repository', fx.secrets.image.repository,
    '--repository', 'imgvet/base', '--shard', `${i}/2`, '--state', join(dir, `state-${i}.jsonl`), '--no-cache', '--format', 'json',
    '-o', join(dir, `shard-${i}.json`)], {timeoutMs: 120_000})))
  for (const r of shards) t.true(r.code === 0 || r.code === 1, r.stderr)
  const merged = await runCli(['registry', 'merge', join(dir, 'shard-0.json'), join(dir, 'shard-1.json'), '--format', 'json'])
  t.true(merged.code === 0 || merged.code === 1, merged.stderr)
  const docs = [...[0, 1].map((i) => JSON.parse(readFileSync(join(dir, `shard-${i}.json`), 'utf8')) as Record<string, unknown>), parseJson<Record<string, unknown>>(merged)]
  for (const [i, doc] of docs.entries()) {
    t.true(validate(doc), `#${i}: ${schemaErrors(validate)}`)
    t.is(doc.schemaVersion, 1)
  }
  const images = (docs[2] as {images: Array<{findings: unknown[]}>}).images
  t.true(images.length >= 2 && images.some((i) => i.findings.length > 0), 'the merged report has images with findings')
  t.false(validate({...docs[2], images: [{...images[0], verdict: 'unknown'}]}))
})
