import test from 'ava'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {assertBuilt, imgvet, parseJson, plantedValues, SECRETS, tempDir, type CliResult, type ScanJson, type VetJson} from './helpers.js'
import {runCli} from '../support/cli.js'

test.before(assertBuilt)

const FORMATS = ['text', 'json', 'sarif', 'junit', 'gitlab'] as const
const COMMANDS = [
  {cmd: 'scan', exit: 0},
  {cmd: 'vet', exit: 1},
] as const

const values = plantedValues()

/** One stdout run per command and format, shared by the redaction and --output tests (no cache: nothing to clean). */
const stdoutRuns = new Map<string, Promise<CliResult>>()
function report(cmd: string, format: string): Promise<CliResult> {
  const k = `${cmd} ${format}`
  let p = stdoutRuns.get(k)
  if (!p) {
    p = runCli([cmd, SECRETS, '--format', format, '--no-cache'], {timeoutMs: 30_000})
    stdoutRuns.set(k, p)
  }
  return p
}

test('the planted values list covers every secret and the config leaks', (t) => {
  t.true(values.length >= 9, String(values.length))
  t.true(values.every((v) => v.value.length >= 16), 'every value is long enough that finding it whole is meaningful')
})

for (const {cmd, exit} of COMMANDS) {
  for (const format of FORMATS) {
    test(`${cmd} --format ${format}: no planted value appears whole in stdout or stderr`, async (t) => {
      const r = await report(cmd, format)
      t.is(r.code, exit, r.stderr)
      t.true(r.stdout.length > 200, 'a real report was printed')
      const leaked = values.filter((v) => r.stdout.includes(v.value) || r.stderr.includes(v.value)).map((v) => v.label)
      t.deepEqual(leaked, [])
      // The report still says what it found: the redacted evidence keeps the length.
      t.regex(r.stdout, /\*{8} \(\d+ chars\)/)
    })
  }
}

/** The real walk both times: once without a cache, once through a fresh one. */
test('scan: fingerprints are stable across two runs', async (t) => {
  const [a, b] = await Promise.all([imgvet(t, ['scan', SECRETS, '--format', 'json', '--no-cache']), imgvet(t, ['scan', SECRETS, '--format', 'json'])])
  t.is(a.code, 0, a.stderr)
  t.is(b.code, 0, b.stderr)
  const fa = parseJson<ScanJson>(a).findings.map((f) => `${f.id} ${f.path} ${f.fingerprint}`)
  const fb = parseJson<ScanJson>(b).findings.map((f) => `${f.id} ${f.path} ${f.fingerprint}`)
  t.true(fa.length > 0)
  t.deepEqual(fb.sort(), fa.sort())
  t.is(new Set(fa).size, fa.length, 'no two findings share a fingerprint')
})

test('vet: fingerprints are stable across two runs, and SARIF carries the same ones', async (t) => {
  const [a, b, s] = await Promise.all([
    imgvet(t, ['vet', SECRETS, '--format', 'json', '--no-cache']),
    imgvet(t, ['vet', SECRETS, '--format', 'json']),
    imgvet(t, ['vet', SECRETS, '--format', 'sarif']),
  ])
  for (const r of [a, b, s]) t.is(r.code, 1, r.stderr)
  const fa = parseJson<VetJson>(a).findings.map((f) => f.fingerprint).sort()
  t.deepEqual(parseJson<VetJson>(b).findings.map((f) => f.fingerprint).sort(), fa)
  const sarif = parseJson<{runs: {results: {partialFingerprints: {primaryLocationLineHash: string}}[]}[]}>(s)
  t.deepEqual(sarif.runs[0]?.results.map((x) => x.partialFingerprints.primaryLocationLineHash).sort(), fa)
})

/** Timings are the one part of a report that differs between two runs. */
function withoutTimings(s: string): string {
  return s.replace(/"seconds": [0-9.e-]+/g, '"seconds": 0').replace(/ in [0-9.]+ s\b/g, ' in 0 s')
    .replace(/"(start|end)_time": "[^"]+"/g, '"$1_time": ""')
}

for (const {cmd} of COMMANDS) {
  for (const format of FORMATS) {
    test(`${cmd} --format ${format} --output FILE writes the bytes stdout gets`, async (t) => {
      const file = join(tempDir(t, 'imgvet-e2e-output'), `report.${format}`)
      const [toStdout, toFile] = await Promise.all([report(cmd, format), imgvet(t, [cmd, SECRETS, '--format', format, '--no-cache', '--output', file])])
      t.is(toFile.code, toStdout.code, toFile.stderr)
      t.is(toFile.stdout, '', 'nothing on stdout when --output is given')
      const written = readFileSync(file, 'utf8')
      t.true(written.length > 200)
      if (format === 'sarif' || format === 'junit') t.is(written, toStdout.stdout)
      else t.is(withoutTimings(written), withoutTimings(toStdout.stdout))
      t.deepEqual(values.filter((v) => written.includes(v.value)).map((v) => v.label), [])
    })
  }
}
