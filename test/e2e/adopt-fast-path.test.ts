import test from 'ava'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import {Pusher} from '../support/push.js'
import {ensureBuilt} from '../support/build.js'
import {makeTempDir} from '../support/tmp.js'
import {runCli} from '../support/cli.js'
import {signedFixture, type AdoptFixture} from './adopt-fixture.js'

// bin/run.js runs a plain `adopt` without oclif (commands/_fast-adopt.ts, bundled with its packages into one file).
// A preload reports at exit whether @oclif/core was loaded (it is CommonJS, so it shows in require.cache): that is how
// each run says which path it took.
let src: RunningRegistry
let fx: AdoptFixture
let dst: RunningRegistry
const dir = makeTempDir('adopt-fast-path')
const policy = join(dir, 'policy.yaml')

test.before(async () => {
  ;[src, dst] = await Promise.all([startRegistry({mode: 'plain'}), startRegistry({mode: 'plain'})])
  await new Pusher(src.url).image('upstream/app', 'v1', 'fast')
  fx = await signedFixture(src.url, 'signed/app', makeTempDir('adopt-fast-path-signed'))
  writeFileSync(policy, ['version: 1', 'name: fast-path', 'scopes:', "  - match: '**'", '    failOn: critical',
    '    user: {nonRoot: false}', ''].join('\n'))
  await ensureBuilt()
})
test.after.always(() => Promise.all([src?.stop(), dst?.stop()]))

let probes = 0
async function adopt(args: readonly string[]): Promise<{code: number; stdout: string; stderr: string; oclif: boolean;
  ajv: boolean}> {
  const report = join(dir, `loaded-${probes++}`)
  const probe = `${report}.cjs`
  // ajv's compiler (its core module) is loaded only where a validator is compiled at run time.
  writeFileSync(probe, `process.on('exit', () => { const k = Object.keys(require.cache); require('fs').writeFileSync(`
    + `${JSON.stringify(report)}, JSON.stringify({oclif: k.some((f) => f.includes('/@oclif/core/')), `
    + `ajv: k.some((f) => f.includes('/ajv/dist/core.js'))})) })`)
  const r = await runCli(['adopt', ...args], {env: {NODE_OPTIONS: `--require=${probe}`}, timeoutMs: 90_000})
  return {...r, ...(JSON.parse(readFileSync(report, 'utf8')) as {oclif: boolean; ajv: boolean})}
}

const from = () => `${src.host}/upstream/app:v1`
const common = () => ['--policy', policy, '--no-cache', '--format', 'json']

test('a plain adopt runs without oclif and reports what the oclif command reports', async (t) => {
  const fast = await adopt([from(), `${dst.host}/fast/app:v1`, ...common()])
  // --jobs is oclif's (it checks the bounds): the same run through the command class.
  const slow = await adopt([from(), `${dst.host}/slow/app:v1`, ...common(), '--jobs', '4'])
  t.is(fast.code, 0, fast.stderr)
  t.is(slow.code, 0, slow.stderr)
  t.false(fast.oclif)
  t.true(slow.oclif)
  t.is(fast.stdout.replaceAll('/fast/app', '/x/app'), slow.stdout.replaceAll('/slow/app', '/x/app'))
  t.is((JSON.parse(fast.stdout) as {result: string}).result, 'adopted')
  const again = await adopt([from(), `${dst.host}/fast/app:v1`, ...common()])
  t.false(again.oclif)
  t.is((JSON.parse(again.stdout) as {result: string}).result, 'already-adopted')
})

test('a signed index with referrers: the same signatures verified at both ends on both paths', async (t) => {
  // Sigstore, Notation, the fallback tag and BuildKit attestations go through the bundled packages here.
  const args = (repo: string) => [`${src.host}/signed/app:v1`, `${dst.host}/${repo}/app:v1`, ...fx.flags, '--no-cache',
    '--format', 'json']
  const fast = await adopt(args('sfast'))
  const slow = await adopt([...args('sslow'), '--jobs', '4'])
  t.is(fast.code, 0, fast.stderr + fast.stdout)
  t.false(fast.oclif)
  t.true(slow.oclif)
  t.is(fast.stdout.replaceAll('/sfast/app', '/x/app'), slow.stdout.replaceAll('/sslow/app', '/x/app'))
  const j = JSON.parse(fast.stdout) as {verification: {signatures: Array<{source: string; destination: string}>}}
  t.true(j.verification.signatures.filter((x) => x.source === 'verified' && x.destination === 'verified').length >= 2)
})

test('signer flags, --output, integers, settings and unknown flags go to oclif, which reports as before', async (t) => {
  const to = `${dst.host}/other/app:v1`
  for (const extra of [['--key', join(dir, 'none.pem')], ['--output', join(dir, 'out.json')], ['--jobs', '0'],
    ['--bogus']]) {
    const r = await adopt([from(), to, ...common(), '--dry-run', ...extra])
    t.true(r.oclif, extra.join(' '))
    if (extra[0] === '--bogus' || extra[1] === '0') t.is(r.code, 2, r.stderr)
  }
  const env = await runCli(['adopt', from(), to, ...common(), '--dry-run'], {env: {IMGVET_JOBS: '0'}})
  t.is(env.code, 2, 'IMGVET_JOBS reaches the command only through oclif, which refuses 0')
})

test('a coded error on the fast path is the one line and exit code oclif gives', async (t) => {
  const fast = await adopt(['oci:x', `${dst.host}/err/app:v1`, ...common()])
  const slow = await adopt(['oci:x', `${dst.host}/err/app:v1`, ...common(), '--jobs', '4'])
  t.false(fast.oclif)
  t.true(slow.oclif)
  t.is(fast.code, 2)
  t.is(slow.code, 2)
  t.regex(fast.stderr, /^imgvet: usage: the source must be an image in a registry[^\n]*\n$/)
  t.is(fast.stderr, slow.stderr)
})

test('a broken policy gets the same issues on both paths, from validators generated at build time', async (t) => {
  const bad = join(dir, 'bad-policy.yaml')
  writeFileSync(bad, 'version: 1\nscopes:\n  - match: "**"\n    user: {nonroot: true}\n    maxAgeDays: 0\n')
  const args = [from(), `${dst.host}/bad/app:v1`, '--policy', bad, '--no-cache', '--format', 'json']
  const fast = await adopt(args)
  const slow = await adopt([...args, '--jobs', '4'])
  t.false(fast.oclif)
  t.true(slow.oclif)
  t.is(fast.code, 2)
  t.is(slow.code, 2)
  t.is(fast.stderr, 'imgvet: bad-policy: scopes[0].user.nonroot: unknown key (did you mean "nonRoot"?); allowed: nonRoot, '
    + `allowedUids (and 1 more) (${bad}:4)\n`)
  t.is(slow.stderr, fast.stderr)
  t.false(slow.ajv, 'the oclif path compiled a validator at run time')
})
