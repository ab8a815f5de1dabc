import test from 'ava'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {run} from '../support/exec.js'
import {makeTempDir} from '../support/tmp.js'
import {ensureBuilt} from '../support/build.js'

/** Command tests go through the compiled CLI, the way users run it. */
const ROOT = resolve(fileURLToPath(import.meta.url), '../../..')
const BIN = join(ROOT, 'bin/run.js')
let built = false

test.before(async () => {
  await ensureBuilt()
  built = existsSync(join(ROOT, 'dist/commands/dockerfile/check.js'))
})

const dir = makeTempDir('dockerfile-cli')
const imgvet = (...args: string[]) => run('node', [BIN, ...args], {cwd: dir, allowFail: true})
const DIGEST = `sha256:${'ab'.repeat(32)}`

test('dockerfile check: exit 0 on a clean file (./Dockerfile by default), 1 on a failing one, 2 on bad input', async (t) => {
  t.true(built, 'tsc did not produce dist/commands/dockerfile/check.js')
  writeFileSync(join(dir, 'Dockerfile'), `FROM alpine@${DIGEST}\nUSER 10001\n`)
  const ok = await imgvet('dockerfile', 'check')
  t.is(ok.code, 0, ok.stderr)
  t.regex(ok.stdout, /^PASS\s+Dockerfile/)
  writeFileSync(join(dir, 'Root.Dockerfile'), `FROM alpine:3\nCOPY .npmrc /root/\n`)
  const bad = await imgvet('dockerfile', 'check', 'Root.Dockerfile', '--format', 'json')
  t.is(bad.code, 1, bad.stderr)
  const report = JSON.parse(bad.stdout) as {verdict: string; findings: {id: string; line: number}[]}
  t.is(report.verdict, 'fail')
  t.deepEqual(report.findings.map((f) => f.id).sort(), ['dockerfile.copy.credential-file', 'dockerfile.from.unpinned', 'dockerfile.user.missing'])
  const missing = await imgvet('dockerfile', 'check', 'nope')
  t.is(missing.code, 2)
  t.regex(missing.stderr, /bad-input/)
  const policy = await imgvet('dockerfile', 'check', '--policy', 'no-such-policy')
  t.is(policy.code, 2)
})

test('dockerfile check --policy release-gate fails an unpinned FROM that the default policy lets through', async (t) => {
  t.true(built)
  writeFileSync(join(dir, 'Tag.Dockerfile'), 'FROM alpine:3.19\nUSER 10001\n')
  t.is((await imgvet('dockerfile', 'check', 'Tag.Dockerfile')).code, 0)
  const gate = await imgvet('dockerfile', 'check', 'Tag.Dockerfile', '--policy', 'release-gate', '--format', 'sarif', '-o', join(dir, 'out.sarif'))
  t.is(gate.code, 1, gate.stderr)
  t.true(existsSync(join(dir, 'out.sarif')))
})

test('dockerfile check --context reports credential files COPY . would take from the build context (json), and --context must be a directory', async (t) => {
  t.true(built)
  const ctx = join(dir, 'app')
  mkdirSync(join(ctx, 'keys'), {recursive: true})
  writeFileSync(join(ctx, 'Dockerfile'), `FROM alpine@${DIGEST}\nCOPY . /app\nUSER 10001\n`)
  writeFileSync(join(ctx, '.env'), 'DB_PASSWORD=correct-horse-battery-staple\n')
  writeFileSync(join(ctx, 'keys/id_ed25519'), 'x')
  writeFileSync(join(ctx, 'main.go'), 'package main\n')
  writeFileSync(join(ctx, '.dockerignore'), 'keys\n')
  const r = await imgvet('dockerfile', 'check', 'app/Dockerfile', '--context', 'app', '--format', 'json')
  t.is(r.code, 1, r.stderr)
  t.false(r.stdout.includes('correct-horse-battery-staple'))
  const report = JSON.parse(r.stdout) as {verdict: string; reasons: {id: string}[]; findings: {id: string; line: number; severity: string; path: string; evidence: string}[]}
  t.is(report.verdict, 'fail')
  t.deepEqual(report.findings.map((f) => [f.id, f.line, f.severity, f.path]), [['dockerfile.copy-context-secret', 2, 'high', 'app/Dockerfile']])
  t.regex(report.findings[0]?.evidence ?? '', /build context file \.env goes into the image; add "\.env" to app\/\.dockerignore/)
  t.deepEqual(report.reasons.map((x) => x.id), ['dockerfile.copy-context-secret'])
  // The same Dockerfile without --context passes: the leak is only visible with the context.
  t.is((await imgvet('dockerfile', 'check', 'app/Dockerfile')).code, 0)
  const bad = await imgvet('dockerfile', 'check', 'app/Dockerfile', '--context', 'app/main.go')
  t.is(bad.code, 2)
  t.regex(bad.stderr, /bad-input/)
})
