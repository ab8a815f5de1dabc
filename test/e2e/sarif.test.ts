import test from 'ava'
import type {ValidateFunction} from 'ajv'
import {dockerRef} from '../support/env.js'
import {sarifValidator} from './sarif-schema.js'
import {assertBuilt, fx, imgvet, parseJson, SECRETS, type CliResult, type ScanJson, type VetJson} from './helpers.js'

const validate = sarifValidator()

test.before(assertBuilt)

interface SarifLog {
  $schema: string
  version: string
  runs: Array<{
    tool: {
      driver: {
        name: string
        rules: Array<{
          id: string; shortDescription?: {text?: string}; fullDescription?: {text?: string}; help?: {text?: string}; properties?: Record<string, unknown>
        }>
      }
    }
    automationDetails?: {id?: string}
    results: Array<{
      ruleId: string
      ruleIndex: number
      level: string
      message?: {text?: string}
      locations?: Array<{physicalLocation?: {artifactLocation?: {uri?: string}}}>
      partialFingerprints?: {primaryLocationLineHash?: string}
    }>
  }>
}

function errors(v: ValidateFunction): string {
  return JSON.stringify(v.errors?.slice(0, 5) ?? [])
}

/** What GitHub code scanning needs on top of the schema (GitHub's "SARIF support for code scanning"). */
function assertGithub(
  t: {true: (v: boolean, m?: string) => void; is: (a: unknown, b: unknown, m?: string) => void; regex: (s: string, r: RegExp, m?: string) => void},
  log: SarifLog,
): void {
  t.is(log.version, '2.1.0')
  t.regex(log.$schema, /sarif-2\.1\.0/)
  t.is(log.runs.length, 1)
  const run = log.runs[0]
  if (!run) return
  t.is(run.tool.driver.name, 'imgvet')
  t.regex(run.automationDetails?.id ?? '', /\/$/, 'a category ending in / keeps images apart')
  const ruleIds = run.tool.driver.rules.map((r) => r.id)
  t.is(new Set(ruleIds).size, ruleIds.length, 'rule ids are unique')
  for (const rule of run.tool.driver.rules) {
    for (const k of ['shortDescription', 'fullDescription', 'help'] as const) t.true((rule[k]?.text ?? '').length > 0, `${rule.id}: ${k}.text`)
    const sev = Number(rule.properties?.['security-severity'])
    t.true(typeof rule.properties?.['security-severity'] === 'string' && sev >= 0.1 && sev <= 10, `${rule.id}: security-severity ${String(rule.properties?.['security-severity'])}`)
  }
  for (const r of run.results) {
    t.true((r.message?.text ?? '').length > 0, `${r.ruleId}: message.text`)
    const uri = r.locations?.[0]?.physicalLocation?.artifactLocation?.uri ?? ''
    t.true(uri.length > 0 && !uri.includes(':'), `${r.ruleId}: location uri ${uri} has no colon`)
    t.regex(r.partialFingerprints?.primaryLocationLineHash ?? '', /^[0-9a-f]{16,}$/, `${r.ruleId}: primaryLocationLineHash`)
    t.is(ruleIds[r.ruleIndex], r.ruleId, `${r.ruleId}: ruleIndex points at its rule`)
  }
}

async function sarifAndJson(t: Parameters<typeof imgvet>[0], cmd: 'scan' | 'vet', ref: string, exit: number): Promise<{log: SarifLog; json: ScanJson | VetJson}> {
  const [s, j]: CliResult[] = await Promise.all([imgvet(t, [cmd, ref, '--format', 'sarif']), imgvet(t, [cmd, ref, '--format', 'json'])])
  if (!s || !j) throw new Error('no output')
  if (s.code !== exit || j.code !== exit) throw new Error(`exit ${s.code}/${j.code}, expected ${exit}: ${s.stderr}${j.stderr}`)
  return {log: parseJson<SarifLog>(s), json: parseJson<ScanJson | VetJson>(j)}
}

test('the validator rejects what the schema forbids (so a pass below means something)', (t) => {
  const bad = {version: '2.1.0', runs: [{tool: {driver: {name: 'x'}}, results: [{message: {text: 'm'}, level: 'fatal'}]}]}
  t.false(validate(bad))
  t.false(validate({version: '2.0.0', runs: []}))
  t.true(validate({version: '2.1.0', runs: [{tool: {driver: {name: 'x'}}, results: [{message: {text: 'm'}, level: 'error'}]}]}), errors(validate))
})

for (const cmd of ['scan', 'vet'] as const) {
  test(`${cmd} --format sarif of the secrets image: valid SARIF 2.1.0 that GitHub accepts, one result per finding`, async (t) => {
    const {log, json} = await sarifAndJson(t, cmd, SECRETS, cmd === 'scan' ? 0 : 1)
    t.true(validate(log), errors(validate))
    assertGithub(t, log)
    const results = log.runs[0]?.results ?? []
    t.is(results.length, json.findings.length)
    t.deepEqual(results.map((r) => r.partialFingerprints?.primaryLocationLineHash).sort(), json.findings.map((f) => f.fingerprint).sort())
    // In-image paths become pseudo-paths under registry and repository (the port's colon made safe, the tag
    // dropped so alerts survive a release); a deleted file still points at its path.
    const repo = `${fx.registries.plain.host.replace(':', '_')}/${fx.secrets.image.repository}`
    const uris = results.map((r) => r.locations?.[0]?.physicalLocation?.artifactLocation?.uri ?? '')
    for (const p of fx.secrets.planted) t.true(uris.includes(`${repo}${p.path}`), `${repo}${p.path} in ${uris.join(', ')}`)
    t.true(uris.every((u) => u.startsWith(`${repo}/`)), 'every location is inside this image')
  })
}

test('scan and vet SARIF of images with few or no findings are valid too', async (t) => {
  const [base, clean] = await Promise.all([sarifAndJson(t, 'scan', dockerRef(fx.images.base), 0), sarifAndJson(t, 'vet', 'oci:examples/clean', 0)])
  for (const {log, json} of [base, clean]) {
    t.true(validate(log), errors(validate))
    assertGithub(t, log)
    t.is(log.runs[0]?.results.length, json.findings.length)
  }
})

/** The counts a CI dashboard reads: testsuites/testsuite attributes against the testcases actually present. */
function junitCounts(xml: string): {declared: Array<{tests: number; failures: number}>; testcases: number; failures: number} {
  const declared = [...xml.matchAll(/<testsuites?\b[^>]*\btests="(\d+)"[^>]*\bfailures="(\d+)"/g)].map((m) => ({tests: Number(m[1]), failures: Number(m[2])}))
  return {declared, testcases: (xml.match(/<testcase\b/g) ?? []).length, failures: (xml.match(/<failure\b/g) ?? []).length}
}

for (const [cmd, ref, exit, label] of [['scan', SECRETS, 0, 'the secrets image'], ['vet', SECRETS, 1, 'the secrets image'], ['vet', 'oci:examples/clean', 0, 'oci:examples/clean']] as const) {
  test(`${cmd} --format junit of ${label}: tests and failures counts match the testcases`, async (t) => {
    const [x, j] = await Promise.all([imgvet(t, [cmd, ref, '--format', 'junit']), imgvet(t, [cmd, ref, '--format', 'json'])])
    t.is(x.code, exit, x.stderr)
    t.regex(x.stdout, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites /)
    const c = junitCounts(x.stdout)
    t.is(c.declared.length, 2, 'a <testsuites> and one <testsuite>')
    for (const d of c.declared) t.deepEqual(d, {tests: c.testcases, failures: c.failures})
    const json = parseJson<VetJson>(j)
    t.is(c.testcases, json.findings.length + 1, 'one testcase per finding plus the verdict')
    if (cmd === 'vet') {
      // A failing testcase per reason-bearing finding plus the verdict's own when it fails.
      const failing = new Set(json.reasons.map((r) => r.id))
      t.is(c.failures, json.findings.filter((f) => failing.has(f.id)).length + (json.verdict === 'fail' ? 1 : 0))
      t.is(json.verdict === 'pass', c.failures === 0)
    } else {
      t.is(c.failures, json.findings.filter((f) => f.severity === 'critical' || f.severity === 'high').length)
    }
    t.is((x.stdout.match(/<testcase\b[^>]*\/>|<testcase\b[^>]*>[\s\S]*?<\/testcase>/g) ?? []).length, c.testcases, 'every testcase is closed')
  })
}
