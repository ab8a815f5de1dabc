import test from 'ava'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {InspectResult} from '../../src/image/inspect.js'
import type {PullResult} from '../../src/image/pull.js'
import {run} from '../support/exec.js'
import {dockerRef, loadFixtures} from '../support/env.js'
import {startHostileRegistry} from '../support/hostile-registry.js'
import {ensureBuilt} from '../support/build.js'
import {runCli, tempDir, type CliResult} from '../support/cli.js'

const fx = loadFixtures()

test.before(ensureBuilt)

/** One line on stderr, `imgvet: <code>: ...`, and no stack trace. */
function assertOneLineError(
  t: {is: (a: unknown, b: unknown, m?: string) => void; regex: (s: string, r: RegExp, m?: string) => void; false: (v: boolean, m?: string) => void},
  r: CliResult,
  code: string,
  exit: number,
): void {
  t.is(r.code, exit, r.stderr)
  const lines = r.stderr.trimEnd().split('\n')
  t.is(lines.length, 1, r.stderr)
  t.regex(lines[0] ?? '', new RegExp(`^imgvet: ${code}: `))
  t.false(/\n\s+at /.test(r.stderr), 'no stack trace')
  t.is(r.stdout, '', 'nothing on stdout')
}

test('inspect --format json on an OCI image: shape and values', async (t) => {
  const r = await runCli(['inspect', dockerRef(fx.images.base), '--format', 'json'])
  t.is(r.code, 0, r.stderr)
  t.is(r.stderr, '')
  const j = JSON.parse(r.stdout) as InspectResult
  t.is(j.reference, fx.images.base.ref)
  t.is(j.digest, fx.images.base.digest)
  t.is(j.mediaType, 'application/vnd.oci.image.manifest.v1+json')
  t.is(j.index, undefined)
  t.like(j.image, {digest: fx.images.base.digest, platform: 'linux/amd64', user: fx.baseUser.name, envNames: ['PATH'], cmd: ['/bin/sh'], entrypoint: null, exposedPorts: []})
  t.is(j.image.layers.length, 1)
  t.like(j.image.layers[0], {mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip'})
  t.regex(j.image.layers[0]?.diffId ?? '', /^sha256:[0-9a-f]{64}$/)
  t.is<number | undefined, number | undefined>(j.image.totalSize, j.image.layers[0]?.size)
  t.is(j.image.labels['org.opencontainers.image.title'], 'imgvet-base')
  // the distribution registry has no referrers API and nothing is signed
  t.like(j.supplyChain, {cosignSignatures: null, cosignAttestations: null, referrers: [], referrersVia: 'none', buildkitAttestations: []})
})

test('inspect text output names the digest and the user', async (t) => {
  const r = await runCli(['inspect', fx.images.base.ref])
  t.is(r.code, 0, r.stderr)
  t.regex(r.stdout, new RegExp(`^Digest:\\s+${fx.images.base.digest}$`, 'm'))
  t.regex(r.stdout, /^User:\s+app$/m)
})

test('inspect --platform linux/arm64 on an index selects the arm64 image and lists platforms', async (t) => {
  const r = await runCli(['inspect', dockerRef(fx.images.multiDocker), '--platform', 'linux/arm64', '--format', 'json'])
  t.is(r.code, 0, r.stderr)
  const j = JSON.parse(r.stdout) as InspectResult
  t.is(j.digest, fx.images.multiDocker.digest)
  t.is(j.image.platform, 'linux/arm64/v8')
  t.is<string | undefined, string | undefined>(j.image.digest, fx.images.multiDocker.platforms?.[1]?.digest)
  t.deepEqual(j.index?.platforms.map((p) => p.platform), ['linux/amd64', 'linux/arm64/v8'])
})

test('inspect of an OCI layout and a docker-archive (no registry, no supply chain lookups)', async (t) => {
  const layout = await runCli(['inspect', `oci:${fx.archives.ociLayout.dir}:${fx.archives.ociLayout.tag}`, '--format', 'json'])
  t.is(layout.code, 0, layout.stderr)
  const j = JSON.parse(layout.stdout) as InspectResult
  t.is(j.digest, fx.archives.ociDigest)
  t.is(j.supplyChain, null)
  const archive = await runCli(['inspect', `docker-archive:${fx.archives.dockerArchive.path}`, '--format', 'json'])
  t.is(archive.code, 0, archive.stderr)
  t.is((JSON.parse(archive.stdout) as InspectResult).image.user, fx.baseUser.name)
})

test('inspect -o writes the result to a file', async (t) => {
  const out = join(tempDir(t), 'inspect.json')
  const r = await runCli(['inspect', dockerRef(fx.images.base), '--format', 'json', '-o', out])
  t.is(r.code, 0, r.stderr)
  t.is(r.stdout, '')
  t.is((JSON.parse(readFileSync(out, 'utf8')) as InspectResult).digest, fx.images.base.digest)
})

test('a bad reference: exit 2, one line, no stack trace', async (t) => {
  assertOneLineError(t, await runCli(['inspect', 'Bad/Reference']), 'bad-reference', 2)
  assertOneLineError(t, await runCli(['inspect', 'nginx@sha256:1234']), 'bad-reference', 2)
})

test('a missing image: exit 2, one line naming no-such-image', async (t) => {
  const r = await runCli(['inspect', `${fx.registries.plain.host}/imgvet/does-not-exist:v1`])
  assertOneLineError(t, r, 'no-such-image', 2)
  t.regex(r.stderr, /no such repository/)
  t.regex(r.stderr, /imgvet\/does-not-exist/)
})

test('a bad platform string: exit 2 (usage)', async (t) => {
  for (const p of ['linux', 'linux/', 'a/b/c/d', 'linux/amd 64']) {
    assertOneLineError(t, await runCli(['inspect', dockerRef(fx.images.multiOci), '--platform', p]), 'usage', 2)
  }
})

test('a platform the index does not have: exit 3, the message lists what is available', async (t) => {
  const r = await runCli(['inspect', dockerRef(fx.images.multiOci), '--platform', 'linux/riscv64'])
  assertOneLineError(t, r, 'not-found', 3)
  t.regex(r.stderr, /available: linux\/amd64, linux\/arm64\/v8/)
})

test('flag errors are usage errors with exit 2', async (t) => {
  assertOneLineError(t, await runCli(['inspect', dockerRef(fx.images.base), '--format', 'yaml']), 'usage', 2)
  const noRef = await runCli(['inspect'])
  assertOneLineError(t, noRef, 'usage', 2)
  t.regex(noRef.stderr, /Missing 1 required arg: ref .*\(see imgvet inspect --help\)$/m, 'the line names what is missing')
  const noOutput = await runCli(['pull', dockerRef(fx.images.base)])
  assertOneLineError(t, noOutput, 'usage', 2)
  t.regex(noOutput.stderr, /Missing required flag output/)
  assertOneLineError(t, await runCli(['inspect', fx.images.baseHtpasswd.ref, '--username', 'x']), 'usage', 2)
})

test('htpasswd from the CLI: --username with --password-stdin, DOCKER_CONFIG, and none (exit 3)', async (t) => {
  const r = fx.registries.htpasswd
  const ref = fx.images.baseHtpasswd.ref
  const anon = await runCli(['inspect', ref])
  assertOneLineError(t, anon, 'unauthorized', 3)
  const flags = await runCli(['inspect', ref, '--format', 'json', '--username', r.username ?? '', '--password-stdin'], {input: `${r.password}\n`})
  t.is(flags.code, 0, flags.stderr)
  t.is((JSON.parse(flags.stdout) as InspectResult).digest, fx.images.baseHtpasswd.digest)
  const dir = tempDir(t)
  writeFileSync(join(dir, 'config.json'), JSON.stringify({auths: {[r.host]: {auth: Buffer.from(`${r.username}:${r.password}`).toString('base64')}}}))
  const env = await runCli(['inspect', ref, '--format', 'json'], {env: {DOCKER_CONFIG: dir}})
  t.is(env.code, 0, env.stderr)
  t.false(env.stdout.includes(r.password ?? '\0'), 'the password is never printed')
})

test('TLS from the CLI: no CA is exit 3; --cert-dir and --ca-file work', async (t) => {
  const tls = fx.registries.tls
  const ref = fx.images.baseTls.ref
  const noCa = await runCli(['inspect', ref, '--cert-dir', tempDir(t)])
  t.is(noCa.code, 3, noCa.stderr)
  t.is(noCa.stderr.trimEnd().split('\n').length, 1)
  const certDir = await runCli(['inspect', ref, '--cert-dir', tls.certsDir ?? '', '--format', 'json'])
  t.is(certDir.code, 0, certDir.stderr)
  const caFile = await runCli(['inspect', ref, '--ca-file', tls.caFile ?? '', '--format', 'json'])
  t.is(caFile.code, 0, caFile.stderr)
  t.is((JSON.parse(caFile.stdout) as InspectResult).digest, fx.images.baseTls.digest)
})

test('a registry that hangs: --timeout ends the command with exit 3', async (t) => {
  const h = await startHostileRegistry({rules: [{target: 'manifest', misbehave: {kind: 'hang'}}]})
  t.teardown(() => h.stop())
  const r = await runCli(['inspect', `${h.host}/hostile/valid:latest`, '--timeout', '1'], {timeoutMs: 30_000})
  assertOneLineError(t, r, 'timeout', 3)
})

test('a corrupt blob from the CLI: exit 3 integrity', async (t) => {
  const h = await startHostileRegistry({rules: [{target: 'config', misbehave: {kind: 'corrupt'}}]})
  t.teardown(() => h.stop())
  assertOneLineError(t, await runCli(['inspect', `${h.host}/hostile/valid:latest`]), 'integrity', 3)
})

test('pull --format json writes a layout skopeo reads', async (t) => {
  const dir = join(tempDir(t), 'out')
  const r = await runCli(['pull', dockerRef(fx.images.base), '--output', dir, '--format', 'json'])
  t.is(r.code, 0, r.stderr)
  const j = JSON.parse(r.stdout) as PullResult
  t.like(j, {digest: fx.images.base.digest, sourceDigest: fx.images.base.digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', blobs: 2, blobsSkipped: 0})
  // the reference tag is recorded by default
  const {stdout} = await run('skopeo', ['inspect', `oci:${dir}:${fx.images.base.tag}`])
  t.is((JSON.parse(stdout) as {Digest: string}).Digest, fx.images.base.digest)
})

test('pull --all-platforms --tag from the CLI, text output', async (t) => {
  const dir = join(tempDir(t), 'out')
  const r = await runCli(['pull', dockerRef(fx.images.multiOci), '-o', dir, '--all-platforms', '--tag', 'multi'])
  t.is(r.code, 0, r.stderr)
  t.regex(r.stdout, new RegExp(`^pulled ${fx.images.multiOci.ref} ${fx.images.multiOci.digest} to .*:multi: \\d+ blobs`, 'm'))
  const {stdout} = await run('skopeo', ['inspect', '--raw', `oci:${dir}:multi`])
  t.is((JSON.parse(stdout) as {manifests: unknown[]}).manifests.length, 2)
})
