import test from 'ava'
import {join} from 'node:path'
import {ensureBuilt} from '../support/build.js'
import {ROOT, runCli} from '../support/cli.js'
import {reportValidator, schemaErrors} from '../report/report-schemas.js'

/** --skip-dirs / --skip-files on the shipped example image: what is skipped is said in every report, never silent. */
test.before(ensureBuilt)

const EXAMPLE = `oci:${join(ROOT, 'examples', 'vulnerable')}`

interface Stats {
  files: number
  skip?: {dirs: string[]; files: string[]}
  skippedPaths?: number
  skippedExamples?: Array<{path: string; layer: number}>
}

test('scan --skip-dirs: the key under /app is not reported, and JSON stats and the text line say what was skipped', async (t) => {
  const [full, skipped, text] = await Promise.all([
    runCli(['scan', EXAMPLE, '--no-cache', '--format', 'json']),
    runCli(['scan', EXAMPLE, '--no-cache', '--format', 'json', '--skip-dirs', '/app/config']),
    runCli(['scan', EXAMPLE, '--no-cache', '--skip-dirs', '/app/config', '--skip-files', '*.sh']),
  ])
  t.is(full.code, 0, full.stderr)
  const a = JSON.parse(full.stdout) as {findings: Array<{path?: string}>; stats: Stats}
  const b = JSON.parse(skipped.stdout) as {findings: Array<{path?: string}>; stats: Stats}
  t.true(a.findings.some((f) => f.path === '/app/config/server.key'))
  t.false(b.findings.some((f) => f.path?.startsWith('/app/config/')))
  t.is(a.stats.skippedPaths, undefined)
  t.deepEqual(b.stats.skip, {dirs: ['/app/config'], files: []})
  t.is(b.stats.skippedPaths, 2)
  t.deepEqual(b.stats.skippedExamples, [{path: '/app/config', layer: 0}, {path: '/app/config/server.key', layer: 0}])
  t.is(b.stats.files, a.stats.files - 1)
  const valid = reportValidator('scan-report', {strict: true})
  t.true(valid(b), schemaErrors(valid))
  t.regex(text.stdout, /^3 paths skipped, not scanned \(--skip-dirs \/app\/config, --skip-files \*\.sh\): \/app\/config, \/app\/config\/server\.key, \/app\/hello\.sh$/m)
})

test('vet takes them too, and so do IMGVET_SKIP_DIRS (a comma list) and the SARIF/JSON of a vet', async (t) => {
  const r = await runCli(['vet', EXAMPLE, '--no-cache', '--format', 'json'], {env: {IMGVET_SKIP_DIRS: '/app/config,/root'}})
  t.true(r.code === 0 || r.code === 1, r.stderr)
  const j = JSON.parse(r.stdout) as {findings: Array<{path?: string}>; stats: Stats}
  t.deepEqual(j.stats.skip, {dirs: ['/app/config', '/root'], files: []})
  t.true((j.stats.skippedPaths ?? 0) >= 2)
  t.false(j.findings.some((f) => f.path?.startsWith('/app/config/')))
  const text = await runCli(['vet', EXAMPLE, '--no-cache', '--skip-files', 'server.key'])
  t.regex(text.stdout, /^1 path skipped, not scanned \(--skip-files server\.key\): \/app\/config\/server\.key$/m)
})
