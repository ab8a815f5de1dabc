import test from 'ava'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {loadPolicy} from '../../src/policy/load.js'
import {probeBuilders} from '../../src/rebuild/builders.js'
import {rebuild, type RebuildOptions} from '../../src/rebuild/rebuild.js'
import type {RebuildResult} from '../../src/rebuild/rebuild.js'
import {renderAs} from '../../src/report/render.js'
import {Registries} from '../../src/registry/client.js'
import {Buildah} from '../support/builder.js'
import {run} from '../support/exec.js'
import {buildBase} from '../support/fixture-images.js'
import {request} from '../support/net.js'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import {makeTempDir, removeDir} from '../support/tmp.js'
import {ensureBuilt} from '../support/build.js'

const renderRebuild = (r: RebuildResult, format: string) => renderAs('rebuild', format, r)

/**
 * Real builds: a busybox-static base built here with buildah, pushed to a real registry, then Dockerfiles FROM it
 * by digest rebuilt by `rebuild` (which picks buildah on this machine: no Docker engine, no buildkitd).
 */

const dir = makeTempDir('rebuild')
let registry: RunningRegistry
let registries: Registries
let baseRef = ''

function context(name: string, dockerfile: string): string {
  const ctx = join(dir, name)
  mkdirSync(ctx, {recursive: true})
  writeFileSync(join(ctx, 'Dockerfile'), dockerfile)
  writeFileSync(join(ctx, 'greeting.txt'), 'hello from the build context\n')
  return ctx
}

const appDockerfile = (extra = '', user = '1000:1000') => [
  `FROM ${baseRef}`,
  'USER 0',
  'COPY greeting.txt /srv/greeting.txt',
  `RUN mkdir -p /srv/data && echo built > /srv/data/marker && chown -R 1000:1000 /srv/data${extra}`,
  `USER ${user}`,
  'CMD ["/bin/cat", "/srv/greeting.txt"]',
  '',
].join('\n')

async function opts(over: Partial<RebuildOptions>): Promise<RebuildOptions> {
  return {
    context: '', tag: '', push: false, policy: await loadPolicy('default'), force: false, registries,
    platform: {os: 'linux', architecture: 'amd64'}, insecure: false, ...over,
  }
}

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..')
let built = false

test.before(async () => {
  await ensureBuilt()
  built = existsSync(join(ROOT, 'dist/commands/rebuild.js'))
  registry = await startRegistry({mode: 'plain'})
  registries = new Registries({timeoutMs: 30_000})
  const b = new Buildah(join(dir, 'base-storage'))
  await buildBase(b)
  const digest = await b.push('imgvet-base', `docker://${registry.host}/rebuild/base:1`, {format: 'oci'})
  baseRef = `${registry.host}/rebuild/base@${digest}`
})

test.after.always(async () => {
  registries?.close()
  await registry?.stop()
  removeDir(dir)
})

test.serial('builders: buildah is found and usable here; docker/buildctl count only with a daemon', async (t) => {
  const probes = await probeBuilders()
  t.deepEqual(probes.map((p) => p.name), ['docker-buildx', 'buildctl', 'buildah'])
  const buildah = probes.find((p) => p.name === 'buildah')
  t.true(buildah?.usable, buildah?.detail)
  for (const p of probes) if (p.usable && p.name !== 'buildah') t.log(`also usable: ${p.name} (${p.detail})`)
})

test.serial('rebuild refuses a failing Dockerfile and builds nothing', async (t) => {
  const ctx = context('refused', `FROM ${baseRef}\nCOPY id_rsa /root/.ssh/id_rsa\n`)
  const r = await rebuild(await opts({context: ctx, tag: `${registry.host}/rebuild/refused:1`, push: true}))
  t.false(r.pass)
  t.regex(r.refused ?? '', /fails policy "default"/)
  t.is(r.build, undefined)
  t.true(r.dockerfile.findings.some((f) => f.id === 'dockerfile.copy.credential-file'))
  t.true(r.report.reasons?.some((x) => x.id === 'dockerfile.copy.credential-file'))
})

test.serial('rebuild, push, vet; a second rebuild matches the first except for build timestamps; a different upstream is listed', async (t) => {
  // Upstream 1: the same Dockerfile, pushed.
  const ctx = context('app', appDockerfile())
  const first = await rebuild(await opts({context: ctx, tag: `${registry.host}/rebuild/app:upstream`, push: true}))
  t.is(first.build?.builder, 'buildah')
  t.is(first.build?.transport.kind, 'registry')
  t.true(first.pass, renderRebuild(first, 'text'))
  t.is(first.vet?.report.verdict, 'pass')
  t.regex(first.vet?.image.digest ?? '', /^sha256:[0-9a-f]{64}$/)
  t.is(first.vet?.image.digest, first.build?.digest)
  // imgvet's own push put the tag there, last, naming the digest it vetted.
  const tagged = await request(`${registry.url}/v2/rebuild/app/manifests/upstream`, {method: 'HEAD', headers: {accept: 'application/vnd.oci.image.manifest.v1+json'}})
  t.is(tagged.headers['docker-content-digest'], first.build?.digest)
  // The base was checked for signatures (none required by the default policy) or honestly reported as not checked.
  t.is(first.bases.length, 1)

  // Upstream 2: an extra file and another user.
  const otherCtx = context('other', appDockerfile(' && echo extra > /srv/data/extra && chmod 0600 /srv/data/marker', '65534'))
  const other = await rebuild(await opts({context: otherCtx, tag: `${registry.host}/rebuild/app:different`, push: true}))
  t.true(other.pass, renderRebuild(other, 'text'))

  // The rebuild under test: not pushed (OCI layout), compared with the identical upstream.
  const same = await rebuild(await opts({context: ctx, tag: `${registry.host}/rebuild/app:local`, compare: `docker://${registry.host}/rebuild/app:upstream`}))
  t.is(same.build?.transport.kind, 'oci')
  t.true(same.pass)
  const c = same.compare
  if (!c) return t.fail('no comparison')
  t.deepEqual(c.differences, [], renderRebuild(same, 'text'))
  t.deepEqual(c.config, [])
  t.true(c.identical)
  t.regex(c.verdict, /^the rebuilt image matches upstream/)
  t.true(c.paths > 250, `busybox applets and our files: ${c.paths}`)
  // Whatever differs is build-time only: config.created, history times, mtimes of files the RUN step wrote.
  for (const x of c.buildTime) t.regex(x.field, /created/)
  for (const s of c.timestampOnly.sample) t.regex(s.path, /^\/srv/)

  const diff = await rebuild(await opts({context: ctx, tag: `${registry.host}/rebuild/app:local2`, compare: `docker://${registry.host}/rebuild/app:different`}))
  const d = diff.compare
  if (!d) return t.fail('no comparison')
  t.false(d.identical)
  const byPath = new Map(d.differences.map((x) => [x.path, x]))
  t.is(byPath.get('/srv/data/extra')?.status, 'removed', 'the extra file is only upstream')
  t.deepEqual(byPath.get('/srv/data/marker')?.changes, ['mode'])
  t.is(d.differences.length, 2)
  t.deepEqual(d.config, [{field: 'User', upstream: '65534', rebuilt: '1000:1000'}])
  t.is(d.verdict, 'the rebuilt image matches upstream except for 2 files and 1 config field')
  const text = renderRebuild(diff, 'text')
  t.regex(text, /removed\s+\/srv\/data\/extra/)
  t.regex(text, /User: upstream 65534, rebuilt 1000:1000/)
  const json = JSON.parse(renderRebuild(diff, 'json')) as {compare: {differences: unknown[]}; build: {builder: string}}
  t.is(json.compare.differences.length, 2)
  t.is(json.build.builder, 'buildah')
})

test.serial('imgvet rebuild (CLI): --require-match exits 1 when the rebuild differs from upstream; json names the builder', async (t) => {
  t.true(built, 'tsc did not produce dist/commands/rebuild.js')
  const ctx = join(dir, 'app')
  const r = await run('node', [join(ROOT, 'bin/run.js'), 'rebuild', '--context', ctx, '--tag', `${registry.host}/rebuild/app:cli`,
    '--compare', `docker://${registry.host}/rebuild/app:different`, '--require-match', '--format', 'json'], {cwd: ROOT, allowFail: true})
  t.is(r.code, 1, r.stderr)
  const out = JSON.parse(r.stdout) as {verdict: string; build: {builder: string}; compare: {verdict: string}; builders: {name: string; usable: boolean}[]}
  t.is(out.verdict, 'pass', 'the image itself passes the policy; only the comparison fails')
  t.is(out.build.builder, 'buildah')
  t.regex(out.compare.verdict, /except for 2 files/)
  const same = await run('node', [join(ROOT, 'bin/run.js'), 'rebuild', '--context', ctx, '--tag', `${registry.host}/rebuild/app:cli2`,
    '--compare', `docker://${registry.host}/rebuild/app:upstream`, '--require-match'], {cwd: ROOT, allowFail: true})
  t.is(same.code, 0, same.stderr + same.stdout)
  t.regex(same.stdout, /Verdict: the rebuilt image matches upstream/)
})

test.serial('a Dockerfile that does not build is exit 3 with a one-line build-failed error naming the step', async (t) => {
  t.true(built, 'tsc did not produce dist/commands/rebuild.js')
  const ctx = context('broken', [`FROM ${baseRef}`, 'RUN echo about to fail && exit 7', 'USER 1000:1000', ''].join('\n'))
  const r = await run('node', [join(ROOT, 'bin/run.js'), 'rebuild', '--context', ctx, '--tag', `${registry.host}/rebuild/app:broken`, '--format', 'json'],
    {cwd: ROOT, allowFail: true})
  t.is(r.code, 3, r.stderr)
  const last = r.stderr.trim().split('\n').pop() ?? ''
  t.regex(last, /^imgvet: build-failed: buildah bud failed \(buildah exit \d+\):/)
  t.notRegex(r.stderr, /^\s+at /m, 'no stack trace')
})
