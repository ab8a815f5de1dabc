import test from 'ava'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import {join} from 'node:path'
import {dockerRef} from '../support/env.js'
import {startHostileRegistry, type HostileRegistry} from '../support/hostile-registry.js'
import {assertBuilt, closedPort, fx, imgvet, oneLineError, parseJson, SECRETS, tempDir, type ScanJson} from './helpers.js'
import {sarifValidator} from './sarif-schema.js'

/** `scan` as a CI gate (trivy's flags), the stderr verdict line, reports on every outcome, and early usage errors. */
test.before(assertBuilt)

const validateSarif = sarifValidator()
const BASE = dockerRef(fx.images.base)
const FUTURE = '2999-01-01'

interface Teardown {
  teardown: (fn: () => void | Promise<void>) => void
}

async function hostile(t: Teardown): Promise<HostileRegistry> {
  const h = await startHostileRegistry()
  t.teardown(() => h.stop())
  return h
}

let all: ScanJson | undefined
/** The secrets image's findings, scanned once without a gate: what the gated runs are judged against. */
async function ungated(t: Teardown): Promise<ScanJson> {
  all ??= parseJson<ScanJson>(await imgvet(t, ['scan', SECRETS, '--format', 'json']))
  return all
}

test('without a gate flag scan exits 0 with private keys inside (today\'s default, as trivy)', async (t) => {
  const j = await ungated(t)
  t.true(j.findings.some((f) => f.category === 'private-key' && f.severity === 'high'))
  const r = await imgvet(t, ['scan', SECRETS, '--format', 'json'])
  t.is(r.code, 0, r.stderr)
})

test('--exit-code N exits N when any finding remains; --severity narrows both the gate and the report', async (t) => {
  const j = await ungated(t)
  const r = await imgvet(t, ['scan', SECRETS, '--exit-code', '5', '--format', 'json'])
  t.is(r.code, 5, r.stderr)
  t.is(parseJson<ScanJson>(r).findings.length, j.findings.length)

  const high = await imgvet(t, ['scan', SECRETS, '--exit-code', '7', '--severity', 'high,CRITICAL', '--format', 'json'])
  t.is(high.code, 7, high.stderr)
  const shown = parseJson<ScanJson>(high).findings
  t.deepEqual(shown.map((f) => f.fingerprint), j.findings.filter((f) => f.severity === 'high' || f.severity === 'critical').map((f) => f.fingerprint))

  // UNKNOWN is imgvet's info: the gate holds exactly when the ungated scan has an info finding.
  const info = await imgvet(t, ['scan', SECRETS, '--exit-code', '7', '--severity', 'UNKNOWN', '--format', 'json'])
  t.is(info.code, j.findings.some((f) => f.severity === 'info') ? 7 : 0, info.stderr)
  t.true(parseJson<ScanJson>(info).findings.every((f) => f.severity === 'info'))
})

test('--fail-on high: exit 1 (or --exit-code), the report goes to -o and stderr says why in one line', async (t) => {
  const j = await ungated(t)
  const atLeastHigh = j.findings.filter((f) => f.severity === 'high' || f.severity === 'critical')
  const out = join(tempDir(t, 'imgvet-gate'), 'scan.sarif')
  const r = await imgvet(t, ['scan', SECRETS, '--fail-on', 'HIGH', '--format', 'sarif', '-o', out])
  t.is(r.code, 1, r.stderr)
  t.is(r.stdout, '')
  const line = oneLineError(r)
  const first = atLeastHigh[0]
  t.true(line.startsWith(`imgvet: FAIL: ${atLeastHigh.length} findings at high or above (${first?.id}${first?.path ? ` ${first.path}` : ''}`), line)
  const log = JSON.parse(readFileSync(out, 'utf8')) as {runs: Array<{invocations: Array<{executionSuccessful: boolean}>; results: unknown[]}>}
  t.true(validateSarif(log), JSON.stringify(validateSarif.errors?.slice(0, 3)))
  t.is(log.runs[0]?.results.length, j.findings.length, '--fail-on gates; it does not narrow the report')
  t.deepEqual(log.runs[0]?.invocations, [{executionSuccessful: true}])

  const coded = await imgvet(t, ['scan', SECRETS, '--fail-on', 'high', '--exit-code', '9', '-o', join(tempDir(t, 'imgvet-gate'), 'r.txt')])
  t.is(coded.code, 9, coded.stderr)
})

test('the gate counts what the allowlist leaves: every high finding allowed is a PASS', async (t) => {
  const j = await ungated(t)
  const dir = tempDir(t, 'imgvet-gate')
  const ids = [...new Set(j.findings.filter((f) => f.severity === 'high' || f.severity === 'critical').map((f) => f.id))]
  const allow = join(dir, 'allow.yaml')
  writeFileSync(allow, ['allow:', ...ids.flatMap((id) => [`  - id: ${id}`, '    reason: gate test', `    expires: ${FUTURE}`]), ''].join('\n'))
  const r = await imgvet(t, ['scan', SECRETS, '--fail-on', 'high', '--allow', allow, '--format', 'json', '-o', join(dir, 'r.json')])
  t.is(r.code, 0, r.stderr)
  t.is(oneLineError(r), 'imgvet: PASS: no findings at high or above')
})

test('vet prints its verdict line on stderr when the report goes to a file', async (t) => {
  const out = join(tempDir(t, 'imgvet-gate'), 'vet.json')
  const r = await imgvet(t, ['vet', SECRETS, '--format', 'json', '-o', out])
  t.is(r.code, 1, r.stderr)
  const vet = JSON.parse(readFileSync(out, 'utf8')) as {verdict: string; reasons: Array<{id: string}>}
  t.is(vet.verdict, 'fail')
  t.regex(oneLineError(r), new RegExp(`^imgvet: FAIL: policy default: ${vet.reasons.length} reasons \\(${vet.reasons[0]?.id}`))
})

test('-o - is stdout (no file named "-"), with no verdict line', async (t) => {
  const r = await imgvet(t, ['scan', BASE, '--format', 'json', '-o', '-'])
  t.is(r.code, 0, r.stderr)
  t.is(parseJson<ScanJson>(r).image.digest, fx.images.base.digest)
  t.is(r.stderr, '')
  t.false(existsSync(join(process.cwd(), '-')))
})

test('an unwritable -o is exit 2 before any request is made', async (t) => {
  const h = await hostile(t)
  const dir = tempDir(t, 'imgvet-gate')
  for (const [out, why] of [[join(dir, 'missing', 'r.sarif'), /directory .* does not exist/], [dir, /it is a directory/]] as const) {
    for (const cmd of ['scan', 'vet']) {
      const started = Date.now()
      const r = await imgvet(t, [cmd, `${h.host}/hostile/valid:latest`, '--format', 'sarif', '-o', out])
      t.is(r.code, 2, r.stderr)
      t.regex(oneLineError(r), /^imgvet: usage: cannot write the report: /)
      t.regex(r.stderr, why)
      t.true(Date.now() - started < 15_000)
    }
  }
  t.deepEqual(h.requests, [], 'no request reached the registry')
  t.false(existsSync(join(dir, 'missing')))
})

test('exit 3 still writes a report that says so: SARIF, GitLab, JUnit, JSON', async (t) => {
  const port = await closedPort()
  const ref = `127.0.0.1:${port}/team/app:1`
  const dir = tempDir(t, 'imgvet-gate')
  const run = async (cmd: string, format: string) => {
    const out = join(dir, `${cmd}.${format}`)
    const r = await imgvet(t, [cmd, ref, '--format', format, '-o', out, '--timeout', '5s'])
    t.is(r.code, 3, r.stderr)
    t.regex(oneLineError(r), /^imgvet: network: /)
    return readFileSync(out, 'utf8')
  }
  for (const cmd of ['scan', 'vet']) {
    const sarif = JSON.parse(await run(cmd, 'sarif')) as {runs: Array<{invocations: Array<{executionSuccessful: boolean; toolExecutionNotifications: Array<{level: string; message: {text: string}}>}>}>}
    t.true(validateSarif(sarif), JSON.stringify(validateSarif.errors?.slice(0, 3)))
    const inv = sarif.runs[0]?.invocations[0]
    t.is(inv?.executionSuccessful, false)
    t.is(inv?.toolExecutionNotifications[0]?.level, 'error')
    t.regex(inv?.toolExecutionNotifications[0]?.message.text ?? '', /^network: .*127\.0\.0\.1/)

    const gitlab = JSON.parse(await run(cmd, 'gitlab')) as {scan: {status: string; messages: Array<{level: string; value: string}>}; vulnerabilities: unknown[]}
    t.is(gitlab.scan.status, 'failure')
    t.is(gitlab.scan.messages[0]?.level, 'fatal')
    t.regex(gitlab.scan.messages[0]?.value ?? '', /^network: /)
    t.deepEqual(gitlab.vulnerabilities, [])

    const junit = await run(cmd, 'junit')
    t.regex(junit, /<testsuites name="imgvet" tests="1" failures="0" errors="1" skipped="0">/)
    t.regex(junit, /<error message="network: [^"]*" type="network"\/>/)

    const json = JSON.parse(await run(cmd, 'json')) as {error: {code: string; message: string}; findings: unknown[]}
    t.is(json.error.code, 'network')
    t.deepEqual(json.findings, [])
  }
  // Machine formats on stdout carry the error too, so `imgvet scan --format json | jq` sees it.
  const r = await imgvet(t, ['scan', ref, '--format', 'json', '--timeout', '5s'])
  t.is(r.code, 3)
  t.is(parseJson<{error: {code: string}}>(r).error.code, 'network')
})

test('a reference naming no repository, tag or digest is exit 2 with what is missing', async (t) => {
  const host = fx.registries.plain.host
  const cases = [
    [`${host}/imgvet/never-pushed:latest`, 'no such repository'],
    [`${host}/${fx.images.base.repository}:no-such-tag`, 'no such tag (tags: '],
    [`${host}/${fx.images.base.repository}@sha256:${'0'.repeat(64)}`, 'no such manifest'],
  ] as const
  for (const [ref, message] of cases) {
    const r = await imgvet(t, ['scan', ref])
    t.is(r.code, 2, r.stderr)
    t.true(oneLineError(r).startsWith(`imgvet: no-such-image: ${message}`), r.stderr)
  }
  // A local layout's missing tag is the same typo.
  const local = await imgvet(t, ['scan', 'oci:examples/vulnerable:no-such-tag'])
  t.is(local.code, 2, local.stderr)
  t.regex(oneLineError(local), /^imgvet: no-such-image: no image tagged "no-such-tag" in layout \(tags: /)
})

test('a server that is not a registry says so in one line (HTML page, or a 404 without the distribution header)', async (t) => {
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/v2/')) return void res.writeHead(200, {'content-type': 'text/html'}).end('<html><body>Welcome</body></html>')
    res.writeHead(404).end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : 0
  const html = await imgvet(t, ['scan', `127.0.0.1:${port}/team/app:1`])
  t.is(html.code, 2, html.stderr)
  t.regex(oneLineError(html), /^imgvet: not-a-registry: not a container registry: \/v2\/ answered with an HTML page \(HTTP 200\)/)

  const bare = http.createServer((_req, res) => res.writeHead(404, {'content-type': 'text/plain'}).end('404 page not found'))
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()))
  t.teardown(() => new Promise<void>((r) => bare.close(() => r())))
  const a2 = bare.address()
  const r = await imgvet(t, ['scan', `127.0.0.1:${typeof a2 === 'object' && a2 ? a2.port : 0}/team/app:1`])
  t.is(r.code, 2, r.stderr)
  t.regex(oneLineError(r), /^imgvet: not-a-registry: .*HTTP 404 without Docker-Distribution-API-Version/)
})

test('--timeout takes durations; zero, negative, garbage and absurd sizes are one-line usage errors', async (t) => {
  const ok = await imgvet(t, ['scan', BASE, '--timeout', '5m', '--format', 'json'])
  t.is(ok.code, 0, ok.stderr)
  for (const v of ['0', '0s', '-1', '-5s', '5x', '48h', '']) {
    const r = await imgvet(t, ['scan', BASE, `--timeout=${v}`])
    t.is(r.code, 2, `--timeout=${v}: ${r.stderr}`)
    t.regex(oneLineError(r), /^imgvet: usage: /)
  }
  for (const args of [['--max-text-size', '0'], ['--max-layer-size=-1'], ['--max-layer-size', '0'], ['--max-layer-size', '99999999'],
    ['--max-text-size', '4096'], ['--exit-code=-1'], ['--severity', 'SEVERE', '--exit-code', '1'], ['--fail-on', 'urgent'],
    ['--severity', 'HIGH', '--fail-on', 'high']]) {
    const r = await imgvet(t, ['scan', BASE, ...args])
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    t.regex(oneLineError(r), /^imgvet: usage: /)
  }
})
