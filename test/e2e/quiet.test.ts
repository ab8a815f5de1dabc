import test from 'ava'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {dockerRef} from '../support/env.js'
import {startHostileRegistry, type HostileRegistry} from '../support/hostile-registry.js'
import {assertBuilt, fx, imgvet, oneLineError, SECRETS, tempDir} from './helpers.js'
import {runOnTty} from '../support/cli.js'

/** --quiet and --no-progress, and the flags that must say something: an empty password, a CA that is no PEM, warnings. */
test.before(assertBuilt)

const BASE = dockerRef(fx.images.base)

async function hostile(t: {teardown: (fn: () => Promise<void>) => void}): Promise<HostileRegistry> {
  const h = await startHostileRegistry()
  t.teardown(() => h.stop())
  return h
}

test('on a terminal the progress bar draws; --no-progress and --quiet keep it off, --quiet drops the verdict line', async (t) => {
  const dir = tempDir(t, 'imgvet-quiet')
  const args = (name: string, ...more: string[]) => ['scan', SECRETS, '-o', join(dir, name), '--cache-dir', join(dir, `cache-${name}`), ...more]
  const drawn = await runOnTty(args('a.json'))
  t.is(drawn.code, 0, drawn.output)
  t.regex(drawn.output, /scanning \[[#.]+\] [\d.]+ (B|KiB|MiB)\/[\d.]+ (B|KiB|MiB)/)
  const plain = await runOnTty(args('b.json', '--no-progress'))
  t.is(plain.code, 0, plain.output)
  t.notRegex(plain.output, /scanning \[/)
  t.regex(plain.output, /imgvet: \d+ findings/)
  const quiet = await runOnTty(args('c.json', '--quiet', '--fail-on', 'high'))
  t.is(quiet.code, 1, quiet.output)
  t.is(quiet.output, '')
})

test('--quiet without a terminal: the exit code still gates, stderr stays empty', async (t) => {
  const r = await imgvet(t, ['scan', SECRETS, '-q', '--fail-on', 'high', '-o', join(tempDir(t, 'imgvet-quiet'), 'r.sarif'), '--format', 'sarif'])
  t.is(r.code, 1)
  t.is(r.stderr, '')
  t.is(r.stdout, '')
})

test('--password-stdin with an empty password says so (exit 2) and asks the registry nothing', async (t) => {
  const h = await hostile(t)
  const r = await imgvet(t, ['scan', `${h.host}/hostile/valid:latest`, '--username', 'u', '--password-stdin'], {input: '\n'})
  t.is(r.code, 2, r.stderr)
  t.is(oneLineError(r), 'imgvet: usage: --password-stdin read an empty password from standard input')
  t.deepEqual(h.requests, [])
})

test('a --ca-file that is not PEM is exit 2 naming the file, before any request', async (t) => {
  const h = await hostile(t)
  const file = join(tempDir(t, 'imgvet-quiet'), 'ca.der')
  writeFileSync(file, Buffer.from([0x30, 0x82, 0x01, 0x0a, 0x02, 0x82]))
  const r = await imgvet(t, ['scan', `${h.host}/hostile/valid:latest`, '--ca-file', file])
  t.is(r.code, 2, r.stderr)
  t.is(oneLineError(r), `imgvet: bad-input: --ca-file is not a PEM certificate bundle (no -----BEGIN CERTIFICATE----- block) (${file})`)
  t.deepEqual(h.requests, [])
})

test('--tls-verify=false (skopeo\'s spelling) and --insecure-ignore-tlog warn once on stderr, as cosign does', async (t) => {
  const warnings = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('imgvet: warning: '))
  for (const spelling of ['--tls-verify=false', '--no-tls-verify']) {
    const r = await imgvet(t, ['scan', BASE, spelling, '--format', 'json'])
    t.is(r.code, 0, r.stderr)
    t.deepEqual(warnings(r.stderr), ['imgvet: warning: --tls-verify=false: registry TLS certificates are not verified'])
  }
  const verified = await imgvet(t, ['scan', BASE, '--tls-verify=true', '--format', 'json'])
  t.is(verified.code, 0, verified.stderr)
  t.deepEqual(warnings(verified.stderr), [])

  const v = await imgvet(t, ['vet', BASE, '--insecure-ignore-tlog', '--format', 'json'])
  t.true(v.code === 0 || v.code === 1, v.stderr)
  t.deepEqual(warnings(v.stderr), ['imgvet: warning: --insecure-ignore-tlog: signatures without a transparency log entry are accepted'])
})
