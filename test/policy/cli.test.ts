import test from 'ava'
import {existsSync, writeFileSync} from 'node:fs'
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
  built = existsSync(join(ROOT, 'dist/commands/policy/validate.js')) && existsSync(join(ROOT, 'dist/commands/policy/explain.js'))
})

const imgvet = (...args: string[]) => run('node', [BIN, ...args], {cwd: ROOT, allowFail: true})

const dir = makeTempDir('policy-cli')
const bad = join(dir, 'bad.yaml')
writeFileSync(bad, 'version: 1\nscopes:\n  - match: registry.example.com/team/**\n    user:\n      nonroot: true\n    maxAgeDays: soon\n')
const good = join(dir, 'good.yaml')
writeFileSync(good, 'version: 1\nscopes:\n  - match: registry.example.com/team/**\n  - match: docker.io/library/*\n  - match: "**"\n')

test('policy validate: exit 0 for a valid file', async (t) => {
  t.true(built, 'npm run build did not produce dist/commands/policy')
  const r = await imgvet('policy', 'validate', good)
  t.is(r.code, 0, r.stderr)
  t.regex(r.stdout, /valid/)
})

test('policy validate: exit 2 and one file:line: key: message line per error', async (t) => {
  t.true(built, 'npm run build did not produce dist/commands/policy')
  const r = await imgvet('policy', 'validate', bad)
  t.is(r.code, 2, r.stderr)
  const lines = r.stdout.trim().split('\n')
  t.deepEqual(lines.map((l) => l.split(': ')[0]), [`${bad}:5`, `${bad}:6`])
  t.regex(lines[0] ?? '', /scopes\[0\]\.user\.nonroot: unknown key/)
  t.regex(lines[1] ?? '', /scopes\[0\]\.maxAgeDays: must be integer/)
})

test('policy validate --format json lists the issues and still exits 2', async (t) => {
  t.true(built, 'npm run build did not produce dist/commands/policy')
  const r = await imgvet('policy', 'validate', bad, '--format', 'json')
  t.is(r.code, 2)
  const out = JSON.parse(r.stdout) as {valid: boolean; issues: {line: number; key: string}[]}
  t.false(out.valid)
  t.deepEqual(out.issues.map((i) => i.line), [5, 6])
})

test('policy validate accepts preset names; a missing file is a bad-policy error, exit 2', async (t) => {
  t.true(built, 'npm run build did not produce dist/commands/policy')
  for (const name of ['default', 'release-gate', 'docker-official']) t.is((await imgvet('policy', 'validate', name)).code, 0, name)
  const r = await imgvet('policy', 'validate', join(dir, 'missing.yaml'))
  t.is(r.code, 2)
  t.regex(r.stderr, /bad-policy/)
})

test('policy explain shows every scope in order and which one applies', async (t) => {
  t.true(built, 'npm run build did not produce dist/commands/policy')
  const r = await imgvet('policy', 'explain', 'nginx', '--policy', good)
  t.is(r.code, 0, r.stderr)
  t.regex(r.stdout, /docker\.io\/library\/nginx/)
  const scopeLines = r.stdout.split('\n').filter((l) => /scope \d/.test(l) && /:\s(SELECTED|shadowed|no match)$/.test(l))
  t.deepEqual(scopeLines.map((l) => /(SELECTED|shadowed|no match)$/.exec(l)?.[1]), ['no match', 'SELECTED', 'shadowed'])
})

test('policy explain --format json; a bad reference exits 2', async (t) => {
  t.true(built, 'npm run build did not produce dist/commands/policy')
  const r = await imgvet('policy', 'explain', 'registry.example.com/team/api:1', '--policy', good, '--format', 'json')
  t.is(r.code, 0, r.stderr)
  const e = JSON.parse(r.stdout) as {selected: number; scopes: {status: string}[]}
  t.is(e.selected, 0)
  t.deepEqual(e.scopes.map((s) => s.status), ['selected', 'no-match', 'shadowed'])
  const badRef = await imgvet('policy', 'explain', 'Not A Ref', '--policy', good)
  t.is(badRef.code, 2)
  t.regex(badRef.stderr, /bad-reference/)
})
