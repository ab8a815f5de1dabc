import test from 'ava'
import {request} from '../support/net.js'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import {startPushProxy, type PushProxy} from '../support/hostile-push.js'
import {ensureBuilt} from '../support/build.js'
import {makeTempDir} from '../support/tmp.js'
import {runCli} from '../support/cli.js'
import * as h from '../signatures/private-sigstore.js'
import {Artifacts} from '../signatures/support.js'
import {signedFixture, type AdoptFixture} from './adopt-fixture.js'

// adopt's conflict and registry-mode flags: --on-legacy-conflict, --src-referrers, --dst-referrers. Both ends are
// real CNCF 2.8 registries (which have no referrers API) behind recording proxies; the referrers API, where a test
// needs one, is the proxy's.
let src: RunningRegistry
let dst: RunningRegistry
let srcProxy: PushProxy
let dstProxy: PushProxy
let fx: AdoptFixture
let sigstore: h.PrivateSigstore
const dir = makeTempDir('adopt-modes')

test.before(async () => {
  ;[src, dst] = await Promise.all([startRegistry({mode: 'plain'}), startRegistry({mode: 'plain'})])
  ;[srcProxy, dstProxy] = await Promise.all([startPushProxy(src.url), startPushProxy(dst.url)])
  sigstore = await h.privateSigstore()
  fx = await signedFixture(src.url, 'upstream/app', dir, sigstore)
  await ensureBuilt()
})
test.after.always(async () => {
  await Promise.all([srcProxy?.stop(), dstProxy?.stop()])
  await Promise.all([src?.stop(), dst?.stop()])
})

interface Item {kind: string; tag?: string; digest: string; action: string; reason?: string; merged?: string}
interface AdoptJson {
  result: string
  destination: {referrersApi: boolean | null}
  plan: {items: Item[]}
  copy: {merged: Array<{tag: string; digest: string; previous: string}>} | null
  verification: {failures: string[]; signatures: Array<{kind: string; digest: string; destination: string}>}
}
interface ImageJson {config: {digest: string}; layers: Array<{digest: string}>}

const adopt = (from: string, to: string, ...args: string[]) =>
  runCli(['adopt', from, to, ...fx.flags, '--no-cache', '--format', 'json', ...args], {timeoutMs: 90_000})
const sigTag = () => `${fx.index.digest.replace(':', '-')}.sig`
const writes = (p: PushProxy, from: number) => p.requests.slice(from).filter((r) => r.method !== 'GET'
  && r.method !== 'HEAD')
const get = async (path: string, accept = 'application/vnd.oci.image.manifest.v1+json') => {
  const res = await request(`${dst.url}${path}`, {headers: {accept}})
  return {status: res.status, digest: res.headers['docker-content-digest'], body: res.body}
}

/** A `.sig` for the fixture's index already at DST, from another signer: what a second signing pipeline leaves. */
async function otherSignature(repo: string): Promise<{digest: string; layer: string}> {
  const other = await h.keylessSigner(sigstore, 'https://github.com/other/mirror/.github/workflows/sign.yml@refs/heads/main')
  const pushed = await new Artifacts(dst.url).sig(repo, fx.index.digest,
    [await h.cosignLayer(sigstore, other, h.cosignPayload(fx.index.digest))])
  const m = JSON.parse((await get(`/v2/${repo}/manifests/${pushed.digest}`)).body.toString()) as ImageJson
  return {digest: pushed.digest, layer: m.layers[0]?.digest ?? ''}
}

test.serial('a .sig at DST naming another manifest: exit 2 and nothing written; merge appends SRC\'s signature '
  + 'as cosign does, reports the new digest, proves it, and a rerun writes nothing', async (t) => {
  const repo = 'merge/app'
  const theirs = await otherSignature(repo)
  const to = `${dstProxy.host}/${repo}:v1`
  let n = dstProxy.requests.length
  const refused = await adopt(`${src.host}/upstream/app:v1`, to)
  t.is(refused.code, 2, refused.stderr + refused.stdout)
  t.regex(refused.stderr, /^imgvet: conflict: the destination already has sha256-[0-9a-f]{64}\.sig .*--on-legacy-conflict merge.*\n$/)
  t.deepEqual(writes(dstProxy, n), [])

  const planned = await adopt(`${src.host}/upstream/app:v1`, to, '--on-legacy-conflict', 'merge', '--dry-run')
  t.is(planned.code, 0, planned.stderr + planned.stdout)
  const willBe = (JSON.parse(planned.stdout) as AdoptJson).plan.items.find((i) => i.tag === sigTag())
  t.is(willBe?.action, 'merge')

  n = dstProxy.requests.length
  const r = await adopt(`${src.host}/upstream/app:v1`, to, '--on-legacy-conflict', 'merge')
  t.is(r.code, 0, r.stderr + r.stdout)
  const j = JSON.parse(r.stdout) as AdoptJson
  const item = j.plan.items.find((i) => i.tag === sigTag())
  t.is(item?.action, 'merge')
  t.is(item?.merged, willBe?.merged, 'the dry run named the digest the run wrote')
  t.deepEqual(j.copy?.merged, [{tag: sigTag(), digest: item?.merged, previous: theirs.digest}])
  // DST's tag names the merged manifest: DST's layer first, then SRC's, and a config whose rootfs lists both.
  const now = await get(`/v2/${repo}/manifests/${sigTag()}`)
  t.is(now.digest, item?.merged)
  const merged = JSON.parse(now.body.toString()) as ImageJson
  const ours = JSON.parse((await request(`${src.url}/v2/upstream/app/manifests/${sigTag()}`,
    {headers: {accept: 'application/vnd.oci.image.manifest.v1+json'}})).body.toString()) as ImageJson
  const layers = [theirs.layer, ...ours.layers.map((l) => l.digest)]
  t.deepEqual(merged.layers.map((l) => l.digest), layers)
  const config = await request(`${dst.url}/v2/${repo}/blobs/${merged.config.digest}`)
  t.deepEqual((JSON.parse(config.body.toString()) as {rootfs: unknown}).rootfs, {type: 'layers', diff_ids: layers})
  const puts = writes(dstProxy, n).filter((w) => w.method === 'PUT' && w.url.endsWith(`/manifests/${sigTag()}`))
  t.is(puts.length, 1)
  // Every signature that verified at SRC verifies at DST, the legacy one now read from the merged manifest.
  t.deepEqual(j.verification.failures, [])
  const legacy = j.verification.signatures.find((s) => s.kind === 'cosign-legacy')
  t.is(legacy?.destination, 'verified')

  // A rerun (through oclif this time: --jobs is its flag) finds the merge done.
  n = dstProxy.requests.length
  const again = await adopt(`${src.host}/upstream/app:v1`, to, '--on-legacy-conflict', 'merge', '--jobs', '2')
  t.is(again.code, 0, again.stderr + again.stdout)
  const aj = JSON.parse(again.stdout) as AdoptJson
  t.is(aj.result, 'already-adopted')
  t.is(aj.plan.items.find((i) => i.tag === sigTag())?.action, 'present')
  t.deepEqual(writes(dstProxy, n), [])
})

test.serial('merge in text: the plan row and the final copy line name the new .sig digest', async (t) => {
  const repo = 'mergetext/app'
  await otherSignature(repo)
  const r = await runCli(['adopt', `${src.host}/upstream/app:v1`, `${dst.host}/${repo}:v1`, ...fx.flags, '--no-cache',
    '--on-legacy-conflict', 'merge'], {timeoutMs: 90_000})
  t.is(r.code, 0, r.stderr + r.stdout)
  const merged = (await get(`/v2/${repo}/manifests/${sigTag()}`)).digest ?? ''
  t.regex(r.stdout, new RegExp(`merge \\(1 layer\\(s\\) appended to the 1 of sha256:[0-9a-f]{64} -> ${merged}\\)`))
  t.true(r.stdout.includes(`merged: ${sigTag()} now names ${merged} (was sha256:`), r.stdout)
})

test.serial('--dst-referrers api at a registry without the API: exit 3 naming it, before any write', async (t) => {
  const n = dstProxy.requests.length
  const r = await adopt(`${src.host}/upstream/app:v1`, `${dstProxy.host}/apionly/app:v1`, '--dst-referrers', 'api')
  t.is(r.code, 3, r.stderr + r.stdout)
  t.is(r.stderr, `imgvet: unsupported: --dst-referrers api: the registry has no OCI referrers API (GET /v2/<name>/`
    + `referrers/<digest> answered HTTP 404) (${dstProxy.host})\n`)
  t.deepEqual(writes(dstProxy, n), [])
})

test.serial('--src-referrers api at a registry without the API: exit 3 naming it, DST never asked', async (t) => {
  const n = dstProxy.requests.length
  const r = await adopt(`${srcProxy.host}/upstream/app:v1`, `${dstProxy.host}/srcapi/app:v1`, '--src-referrers', 'api')
  t.is(r.code, 3, r.stderr + r.stdout)
  t.regex(r.stderr, new RegExp(`^imgvet: unsupported: --src-referrers api: .* \\(${srcProxy.host}\\)\\n$`))
  t.is(dstProxy.requests.length, n)
})

test.serial('--src-referrers tag: the source\'s API is never asked and its fallback tag still finds every referrer',
  async (t) => {
  const from = srcProxy.requests.length
  const r = await adopt(`${srcProxy.host}/upstream/app:v1`, `${dst.host}/srctag/app:v1`, '--src-referrers', 'tag',
    '--dry-run')
  t.is(r.code, 0, r.stderr + r.stdout)
  t.false(srcProxy.requests.slice(from).some((x) => x.url.includes('/referrers/')))
  const digests = (JSON.parse(r.stdout) as AdoptJson).plan.items.map((i) => i.digest)
  for (const d of [fx.bundle.digest, fx.notation.digest, fx.nested.digest]) t.true(digests.includes(d), d)
  // auto asks the API first (and, finding none, reads the tag).
  const auto = srcProxy.requests.length
  const a = await adopt(`${srcProxy.host}/upstream/app:v1`, `${dst.host}/srctag/app:v1`, '--dry-run')
  t.is(a.code, 0, a.stderr)
  t.true(srcProxy.requests.slice(auto).some((x) => x.url.includes('/referrers/') && x.status === 404))
})

test.serial('a DST with the referrers API: --dst-referrers tag never asks it and writes the fallback tag; api uses it',
  async (t) => {
  const p = await startPushProxy(dst.url, [{kind: 'referrers-api'}])
  t.teardown(() => p.stop())
  const fallback = `/manifests/${fx.index.digest.replace(':', '-')}`
  const r = await adopt(`${src.host}/upstream/app:v1`, `${p.host}/dsttag/app:v1`, '--dst-referrers', 'tag')
  t.is(r.code, 0, r.stderr + r.stdout)
  t.false((JSON.parse(r.stdout) as AdoptJson).destination.referrersApi)
  t.false(p.requests.some((x) => x.url.includes('/referrers/')), 'the API was never asked')
  t.true(p.requests.some((x) => x.method === 'PUT' && x.url === `/v2/dsttag/app${fallback}` && x.status === 201))
  const listed = JSON.parse((await get(`/v2/dsttag/app${fallback}`, 'application/vnd.oci.image.index.v1+json'))
    .body.toString()) as {manifests: Array<{digest: string}>}
  t.deepEqual(listed.manifests.map((m) => m.digest).sort(), [fx.bundle.digest, fx.notation.digest].sort())

  const api = await adopt(`${src.host}/upstream/app:v1`, `${p.host}/dstapi/app:v1`, '--dst-referrers', 'api')
  t.is(api.code, 0, api.stderr + api.stdout)
  t.true((JSON.parse(api.stdout) as AdoptJson).destination.referrersApi)
  t.false(p.writes().some((w) => w.url === `/v2/dstapi/app${fallback}`))
})

test.serial('one registry as both ends cannot be asked two ways: exit 2 before any request', async (t) => {
  const n = srcProxy.requests.length
  const r = await adopt(`${srcProxy.host}/upstream/app:v1`, `${srcProxy.host}/copy/app:v1`, '--src-referrers', 'tag',
    '--dst-referrers', 'api')
  t.is(r.code, 2, r.stderr)
  t.regex(r.stderr, /^imgvet: usage: --src-referrers tag and --dst-referrers api name the same registry/)
  t.is(srcProxy.requests.length, n)
})
