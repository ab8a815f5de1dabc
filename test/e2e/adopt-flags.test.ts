import test from 'ava'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {request} from '../support/net.js'
import {Pusher, tarWithFile, type Pushed} from '../support/push.js'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import {startPushProxy, type PushProxy} from '../support/hostile-push.js'
import {startTokenServer} from '../support/token-server.js'
import {ensureBuilt} from '../support/build.js'
import {makeTempDir} from '../support/tmp.js'
import {runCli} from '../support/cli.js'
import {signedFixture, type AdoptFixture} from './adopt-fixture.js'

// adopt's selection and plan flags from the specification: --digest-tags, --include-foreign, --check-push. Both
// registries are real CNCF registries, each behind a recording proxy, so every request either end got is counted.
let src: RunningRegistry
let dst: RunningRegistry
let srcProxy: PushProxy
let dstProxy: PushProxy
let fx: AdoptFixture
let extra: Pushed
let foreignImage: Pushed
let foreignLayer: Pushed
const dir = makeTempDir('adopt-flags')
const unsignedPolicy = join(dir, 'unsigned-policy.yaml')
const DOCKER_FOREIGN = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip'

const tagOf = (d: string) => d.replace(':', '-')

test.before(async () => {
  // Foreign layers name `urls`; the registry takes such a manifest only when its configuration allows them.
  ;[src, dst] = await Promise.all([startRegistry({mode: 'plain', allowUrls: true}),
    startRegistry({mode: 'plain', allowUrls: true})])
  ;[srcProxy, dstProxy] = await Promise.all([startPushProxy(src.url), startPushProxy(dst.url)])
  fx = await signedFixture(src.url, 'upstream/app', dir)
  const p = new Pusher(src.url)
  // A digest tag cosign does not name (regctl's --digest-tags copies every `sha256-<hex>.*`).
  extra = await p.artifact('upstream/app', `${tagOf(fx.index.digest)}.sbom-spdx`,
    {artifactType: 'application/spdx+json', layers: []})
  // A Windows-style image: one foreign layer (its bytes also in the source registry) and one ordinary layer.
  foreignLayer = await p.blob('upstream/win', tarWithFile('base.txt', 'foreign base\n'), DOCKER_FOREIGN)
  const own = await p.blob('upstream/win', tarWithFile('app.txt', 'app\n'),
    'application/vnd.docker.image.rootfs.diff.tar.gzip')
  const config = await p.blob('upstream/win', JSON.stringify({architecture: 'amd64', os: 'linux', config: {},
    rootfs: {type: 'layers', diff_ids: [foreignLayer.digest, own.digest]}}),
    'application/vnd.docker.container.image.v1+json')
  foreignImage = await p.manifest('upstream/win', 'v1', {schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config,
    layers: [{...foreignLayer, urls: ['https://example.invalid/base.tar']}, own]})
  writeFileSync(unsignedPolicy, ['version: 1', 'name: unsigned', 'scopes:', "  - match: '**'", '    failOn: critical',
    '    user: {nonRoot: false}', ''].join('\n'))
  await ensureBuilt()
})
test.after.always(async () => {
  await Promise.all([srcProxy?.stop(), dstProxy?.stop()])
  await Promise.all([src?.stop(), dst?.stop()])
})

interface Item {kind: string; role: string; digest: string; tag?: string; action: string; reason?: string}
interface AdoptJson {
  result: string
  plan: {items: Item[]; pushCheck?: {opened: number; cancelled: number | null}}
  warnings: string[]
}

const adopt = (from: string, to: string, ...args: string[]) =>
  runCli(['adopt', from, to, '--no-cache', '--format', 'json', ...args], {timeoutMs: 90_000})
const parse = (stdout: string) => JSON.parse(stdout) as AdoptJson
const since = (p: PushProxy, n: number) => p.requests.slice(n)
const status = async (base: string, path: string) => (await request(`${base}${path}`, {method: 'HEAD',
  headers: {accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json'}})).status

test.serial('--digest-tags: one tag listing at the source, every sha256-<hex>.* tag copied; without it, only cosign\'s',
  async (t) => {
  const extraTag = `${tagOf(fx.index.digest)}.sbom-spdx`
  let n = srcProxy.requests.length
  const plain = await adopt(`${srcProxy.host}/upstream/app:v1`, `${dstProxy.host}/plain/app:v1`, ...fx.flags)
  t.is(plain.code, 0, plain.stderr + plain.stdout)
  t.false(parse(plain.stdout).plan.items.some((i) => i.tag === extraTag))
  t.false(since(srcProxy, n).some((r) => r.url.includes('/tags/list')))
  t.is(await status(dst.url, `/v2/plain/app/manifests/${extraTag}`), 404)

  n = srcProxy.requests.length
  const r = await adopt(`${srcProxy.host}/upstream/app:v1`, `${dstProxy.host}/dtags/app:v1`, ...fx.flags, '--digest-tags')
  t.is(r.code, 0, r.stderr + r.stdout)
  const items = parse(r.stdout).plan.items
  t.deepEqual(items.find((i) => i.tag === extraTag), {kind: 'legacy-tag', role: 'digest tag', digest: extra.digest,
    tag: extraTag, action: 'copy'})
  t.is(items.find((i) => i.tag === `${tagOf(fx.index.digest)}.sig`)?.role, 'signature tag')
  t.is(since(srcProxy, n).filter((x) => x.method === 'GET' && x.url.startsWith('/v2/upstream/app/tags/list')).length, 1)
  const at = await request(`${dst.url}/v2/dtags/app/manifests/${extraTag}`, {method: 'HEAD',
    headers: {accept: 'application/vnd.oci.image.manifest.v1+json'}})
  t.is(at.headers['docker-content-digest'], extra.digest)
})

test.serial('foreign layers are planned as skipped and not sent; --include-foreign copies them', async (t) => {
  const blobPath = (repo: string) => `/v2/${repo}/blobs/${foreignLayer.digest}`
  const sent = (from: number) => since(dstProxy, from).filter((x) => x.method === 'PUT'
    && x.url.includes(encodeURIComponent(foreignLayer.digest)))
  let n = dstProxy.requests.length
  const left = await adopt(`${src.host}/upstream/win:v1`, `${dstProxy.host}/win/left:v1`, '--policy', unsignedPolicy)
  t.is(left.code, 0, left.stderr + left.stdout)
  const j = parse(left.stdout)
  const item = j.plan.items.find((i) => i.digest === foreignLayer.digest)
  t.is(item?.role, 'foreign layer')
  t.is(item?.action, 'skip')
  t.true(j.warnings.some((w) => w.includes(foreignLayer.digest) && w.includes('--include-foreign')))
  t.deepEqual(sent(n), [])
  t.is(await status(dst.url, blobPath('win/left')), 404)
  t.is(await status(dst.url, `/v2/win/left/manifests/${foreignImage.digest}`), 200)

  n = dstProxy.requests.length
  const all = await adopt(`${src.host}/upstream/win:v1`, `${dstProxy.host}/win/all:v1`, '--policy', unsignedPolicy,
    '--include-foreign')
  t.is(all.code, 0, all.stderr + all.stdout)
  t.is(parse(all.stdout).plan.items.find((i) => i.digest === foreignLayer.digest)?.action, 'copy')
  t.is(sent(n).length, 1)
  t.is(await status(dst.url, blobPath('win/all')), 200)
})

test.serial('--check-push with --dry-run: one upload session opened and deleted, nothing else written', async (t) => {
  const n = dstProxy.requests.length
  const r = await adopt(`${src.host}/upstream/app:v1`, `${dstProxy.host}/probe/app:v1`, ...fx.flags, '--dry-run',
    '--check-push')
  t.is(r.code, 0, r.stderr + r.stdout)
  t.deepEqual(parse(r.stdout).plan.pushCheck, {opened: 202, cancelled: 204})
  const writes = since(dstProxy, n).filter((x) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(x.method))
  t.deepEqual(writes.map((w) => [w.method, w.url.replace(/uploads\/[^?]+.*/, 'uploads/<session>'), w.status]),
    [['POST', '/v2/probe/app/blobs/uploads/', 202], ['DELETE', '/v2/probe/app/blobs/uploads/<session>', 204]])
})

test('--check-push with a read-only credential: exit 3 at plan time, before any blob or manifest is sent', async (t) => {
  const tokens = await startTokenServer({users: {reader: 'reader-pw'},
    grant: (_u, s) => s.actions.filter((a) => a === 'pull')})
  const reg = await startRegistry({mode: 'token', tokenServer: tokens, username: 'reader', password: 'reader-pw'})
  const proxy = await startPushProxy(reg.url)
  t.teardown(async () => {
    await proxy.stop()
    await reg.stop()
    await tokens.stop()
  })
  const r = await runCli(['adopt', `${src.host}/upstream/app:v1`, `${proxy.host}/team/app:v1`, ...fx.flags, '--no-cache',
    '--check-push', '--username', 'reader', '--password-stdin'], {input: 'reader-pw', timeoutMs: 90_000})
  t.is(r.code, 3, r.stderr + r.stdout)
  t.regex(r.stderr, /^imgvet: unauthorized: --check-push: the destination refused to open an upload \(HTTP 401/)
  const writes = proxy.writes()
  t.true(writes.length > 0 && writes.every((w) => w.method === 'POST' && w.url === '/v2/team/app/blobs/uploads/'))
  t.false(r.stderr.includes('reader-pw'))
})
