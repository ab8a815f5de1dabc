import test from 'ava'
import {request} from '../support/net.js'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import {startPushProxy, type PushMisbehavior, type PushProxy} from '../support/hostile-push.js'
import {Pusher} from '../support/push.js'
import {ensureBuilt} from '../support/build.js'
import {makeTempDir} from '../support/tmp.js'
import {runCli} from '../support/cli.js'
import {signedFixture, type AdoptFixture} from './adopt-fixture.js'

// Each misbehaving destination is a proxy in front of one real registry; each test adopts into its own repository.
let src: RunningRegistry
let dst: RunningRegistry
let fx: AdoptFixture
let same: AdoptFixture
const dir = makeTempDir('adopt-hostile')

test.before(async () => {
  ;[src, dst] = await Promise.all([startRegistry({mode: 'plain'}), startRegistry({mode: 'plain'})])
  fx = await signedFixture(src.url, 'upstream/app', dir)
  // The same image inside the destination registry, for cross-repository mounts.
  same = await signedFixture(dst.url, 'upstream/app', makeTempDir('adopt-hostile-same'))
  await ensureBuilt()
})
test.after.always(() => Promise.all([src?.stop(), dst?.stop()]))

async function proxied(t: {teardown: (f: () => Promise<void>) => void}, rules: PushMisbehavior[],
  upstream = dst): Promise<PushProxy> {
  const p = await startPushProxy(upstream.url, rules)
  t.teardown(() => p.stop())
  return p
}

const adopt = (from: string, to: string, f: AdoptFixture, ...args: string[]) =>
  runCli(['adopt', from, to, ...f.flags, '--no-cache', '--format', 'json', ...args], {timeoutMs: 90_000})

const tagAt = async (repo: string, tag: string) =>
  (await request(`${dst.url}/v2/${repo}/manifests/${tag}`,
    {method: 'HEAD', headers: {accept: 'application/vnd.oci.image.index.v1+json'}})).status

const blobPuts = (p: PushProxy) => p.requests.filter((r) => r.method === 'PUT' && r.url.includes('/blobs/uploads/'))

test('PUT answered with another digest: exit 3, tag untouched', async (t) => {
  const p = await proxied(t, [{kind: 'put-digest-lie'}])
  const r = await adopt(`${src.host}/upstream/app:v1`, `${p.host}/lie/app:v1`, fx)
  t.is(r.code, 3, r.stderr)
  t.regex(r.stderr, /integrity: registry stored the blob as sha256:0{64}/)
  t.is(await tagAt('lie/app', 'v1'), 404)
})

test('a registry serving other bytes later: exit 4, tag not moved', async (t) => {
  const p = await proxied(t, [{kind: 'serve-other-bytes'}])
  const r = await adopt(`${src.host}/upstream/app:v1`, `${p.host}/other/app:v1`, fx)
  t.is(r.code, 4, r.stderr + r.stdout)
  const j = JSON.parse(r.stdout) as {result: string; tag: {moved: boolean}; verification: {failures: string[]}}
  t.is(j.result, 'not-proven')
  t.false(j.tag.moved)
  t.true(j.verification.failures.some((f) => /^manifest sha256:.*integrity/.test(f)))
  t.is(await tagAt('other/app', 'v1'), 404)
  t.false(p.writes().some((w) => w.url.endsWith('/manifests/v1')))
})

test('a HEAD that lies: the refused manifest makes adopt upload its blobs and try once more, exit 0', async (t) => {
  // A registry that holds the blobs in no repository at all (the CNCF registry's descriptor cache lets a manifest
  // name a blob another repository holds).
  const empty = await startRegistry({mode: 'plain'})
  t.teardown(() => empty.stop())
  const p = await proxied(t, [{kind: 'blob-head-lies'}], empty)
  const r = await adopt(`${src.host}/upstream/app:v1`, `${p.host}/head/app:v1`, fx, '--verify-blobs', 'full')
  t.is(r.code, 0, r.stderr + r.stdout)
  const j = JSON.parse(r.stdout) as {copy: {repaired: number}}
  t.true(j.copy.repaired > 0)
  t.true(blobPuts(p).length > 0)
  t.true(p.requests.some((x) => x.method === 'PUT' && x.url.includes('/manifests/') && x.status === 400))
})

test('same registry: blobs mounted, not one blob byte sent', async (t) => {
  const p = await proxied(t, [])
  const r = await adopt(`${p.host}/upstream/app:v1`, `${p.host}/mounted/app:v1`, same)
  t.is(r.code, 0, r.stderr + r.stdout)
  const j = JSON.parse(r.stdout) as {copy: {blobs: {mounted: number; uploaded: number}; bytesSent: number}}
  t.true(j.copy.blobs.mounted > 0)
  t.is(j.copy.blobs.uploaded, 0)
  t.is(blobPuts(p).length, 0)
  t.true(p.requests.some((x) => x.method === 'POST' && x.url.includes('mount=') && x.status === 201))
})

test('a fake mount (201 without the blob): caught by the manifest PUT, blobs uploaded, exit 0', async (t) => {
  const p = await proxied(t, [{kind: 'mount-fake-201'}])
  const r = await adopt(`${p.host}/upstream/app:v1`, `${p.host}/fakemount/app:v1`, same)
  t.is(r.code, 0, r.stderr + r.stdout)
  t.true((JSON.parse(r.stdout) as {copy: {repaired: number}}).copy.repaired > 0)
  t.true(blobPuts(p).length > 0)
})

test('fallback tag overwritten by a racing writer once: merged again, both kept, exit 0', async (t) => {
  const foreign = await new Pusher(dst.url).artifact('race/app', null,
    {artifactType: 'application/x-foreign', layers: []})
  const entry = {mediaType: foreign.mediaType, digest: foreign.digest, size: foreign.size,
    artifactType: 'application/x-foreign'}
  const p = await proxied(t, [{kind: 'race-fallback-tag', entry, times: 1}])
  const r = await adopt(`${src.host}/upstream/app:v1`, `${p.host}/race/app:v1`, fx)
  t.is(r.code, 0, r.stderr + r.stdout)
  const tag = fx.index.digest.replace(':', '-')
  const res = await request(`${dst.url}/v2/race/app/manifests/${tag}`,
    {headers: {accept: 'application/vnd.oci.image.index.v1+json'}})
  const listed = (JSON.parse(res.body.toString()) as {manifests: {digest: string}[]}).manifests.map((m) => m.digest).sort()
  t.deepEqual(listed, [foreign.digest, fx.bundle.digest, fx.notation.digest].sort())
})

test('fallback tag overwritten every time: exit 4, tag not moved', async (t) => {
  const foreign = await new Pusher(dst.url).artifact('race2/app', null,
    {artifactType: 'application/x-foreign', layers: []})
  const entry = {mediaType: foreign.mediaType, digest: foreign.digest, size: foreign.size}
  const p = await proxied(t, [{kind: 'race-fallback-tag', entry}])
  const r = await adopt(`${src.host}/upstream/app:v1`, `${p.host}/race2/app:v1`, fx)
  t.is(r.code, 4, r.stderr + r.stdout)
  t.is(await tagAt('race2/app', 'v1'), 404)
})

test('429 on push: retried after Retry-After, exit 0', async (t) => {
  const p = await proxied(t, [{kind: 'status', method: 'POST', path: /\/blobs\/uploads\//, status: 429, retryAfter: '1', times: 2}])
  const r = await adopt(`${src.host}/upstream/app:v1`, `${p.host}/slow/app:v1`, fx)
  t.is(r.code, 0, r.stderr + r.stdout)
  t.is(p.requests.filter((x) => x.status === 429).length, 2)
})

test('a stalled upload: exit 3 after the timeout, tag untouched', async (t) => {
  const p = await proxied(t, [{kind: 'stall', method: 'PUT', path: /\/blobs\/uploads\//}])
  const r = await adopt(`${src.host}/upstream/app:v1`, `${p.host}/stall/app:v1`, fx, '--timeout', '2s')
  t.is(r.code, 3, r.stderr)
  t.regex(r.stderr, /timeout: /)
  t.is(await tagAt('stall/app', 'v1'), 404)
})

test('OCI-Subject claimed without a referrers API: the fallback tag is still written, exit 0', async (t) => {
  const p = await proxied(t, [{kind: 'oci-subject-lie'}])
  const r = await adopt(`${src.host}/upstream/app:v1`, `${p.host}/subject/app:v1`, fx)
  t.is(r.code, 0, r.stderr + r.stdout)
  t.true(p.requests.some((x) => x.method === 'PUT' && x.url.endsWith(`/manifests/${fx.index.digest.replace(':',
    '-')}`) && x.status === 201))
})

test('a manifest PUT refused as too large (413): exit 3 naming the manifest, tag untouched', async (t) => {
  const p = await proxied(t, [{kind: 'status', method: 'PUT', path: /\/manifests\/sha256:/, status: 413}])
  const r = await adopt(`${src.host}/upstream/app:v1`, `${p.host}/large/app:v1`, fx)
  t.is(r.code, 3, r.stderr)
  t.regex(r.stderr, /too-large: manifest PUT refused as too large \(413\) \(.*large\/app@sha256:/)
  t.is(await tagAt('large/app', 'v1'), 404)
})

const session = (url: string) => /\/blobs\/uploads\/([^/?]+)/.exec(url)?.[1] ?? ''
const completedBlobs = (p: PushProxy) => p.requests
  .filter((x) => x.method === 'PUT' && x.url.includes('/blobs/uploads/') && x.status === 201)
  .map((x) => decodeURIComponent(/[?&]digest=([^&]+)/.exec(x.url)?.[1] ?? ''))

test('one dropped PATCH response: the registry cancels that session, the blob restarts from POST, exit 0', async (t) => {
  const p = await proxied(t, [{kind: 'drop-patch-response', times: 1}])
  const r = await adopt(`${src.host}/upstream/app:v1`, `${p.host}/once/app:v1`, fx, '--chunk-size', '1')
  t.is(r.code, 0, r.stderr + r.stdout)
  const patches = p.requests.filter((x) => x.method === 'PATCH')
  const dropped = session(patches[0]?.url ?? '')
  // The PATCH may have reached the registry (it did: 202), so it is not sent again on the same session: a resend
  // would carry stale state, which CNCF 2.8 answers by cancelling the session. The blob restarts from POST instead.
  t.deepEqual(patches.filter((x) => session(x.url) === dropped).map((x) => x.status), [202])
  t.is(p.requests.filter((x) => x.method === 'DELETE' && session(x.url) === dropped).length, 1,
    'the lost session is cancelled')
  const completed = completedBlobs(p)
  t.is(new Set(completed).size, completed.length, 'each blob completed once')
  t.is(p.requests.filter((x) => x.method === 'POST').length, completed.length + 1, 'one session opened again')
  t.is(await tagAt('once/app', 'v1'), 200)
})

test('every PATCH response dropped: no hang, exit 3, tag untouched; a rerun resumes, each blob uploaded once',
  async (t) => {
  const p = await proxied(t, [{kind: 'drop-patch-response'}])
  const started = Date.now()
  const r = await adopt(`${src.host}/upstream/app:v1`, `${p.host}/dropped/app:v1`, fx, '--chunk-size', '1')
  t.is(r.code, 3, r.stderr + r.stdout)
  t.regex(r.stderr, /^imgvet: network: .*\n$/)
  t.true(Date.now() - started < 60_000, 'the client did not wait for an answer that never comes')
  const patches = p.requests.filter((x) => x.method === 'PATCH')
  t.true(patches.length > 0)
  // Every session's first chunk reached the registry; none was ever completed, nor any manifest written.
  const sessions = [...new Set(patches.map((x) => session(x.url)))]
  t.true(sessions.every((id) => patches.find((x) => session(x.url) === id)?.status === 202))
  t.deepEqual(completedBlobs(p), [])
  t.false(p.writes().some((w) => /\/manifests\//.test(w.url)))
  t.is(await tagAt('dropped/app', 'v1'), 404)

  const clean = await proxied(t, [])
  const again = await adopt(`${src.host}/upstream/app:v1`, `${clean.host}/dropped/app:v1`, fx, '--chunk-size', '1')
  t.is(again.code, 0, again.stderr + again.stdout)
  const completed = completedBlobs(clean)
  t.true(completed.length > 0)
  t.is(new Set(completed).size, completed.length, 'no blob uploaded twice')
  t.is(await tagAt('dropped/app', 'v1'), 200)
})

test('a destination with the referrers API: used for the plan and the proof, no fallback tag written there',
  async (t) => {
  const p = await proxied(t, [{kind: 'referrers-api'}])
  const r = await adopt(`${src.host}/upstream/app:v1`, `${p.host}/api/app:v1`, fx)
  t.is(r.code, 0, r.stderr + r.stdout)
  const j = JSON.parse(r.stdout) as {destination: {referrersApi: boolean};
    plan: {items: Array<{kind: string; action: string; reason?: string}>};
    verification: {signatures: Array<{kind: string; digest: string; destination: string}>; failures: string[]}}
  t.true(j.destination.referrersApi)
  const fallback = j.plan.items.filter((i) => i.kind === 'fallback-tag')
  t.true(fallback.length > 0 && fallback.every((i) => i.action === 'present'
    && i.reason === 'the destination has the referrers API'))
  t.false(p.writes().some((w) => /\/manifests\/sha256-[0-9a-f]{64}$/.test(w.url)), 'no fallback tag PUT')
  t.false(p.requests.some((x) => /\/manifests\/sha256-[0-9a-f]{64}$/.test(x.url)), 'the fallback tag not even read')
  const listings = p.requests.filter((x) => x.method === 'GET'
    && x.url.startsWith(`/v2/api/app/referrers/${fx.index.digest}`))
  t.true(listings.length >= 2, 'asked at plan time and again by the verification at the destination')
  // The Sigstore bundle referrer verified at the source and, found through the API, verifies at the destination too.
  t.deepEqual(j.verification.failures, [])
  const bundle = j.verification.signatures.find((s) => s.kind === 'bundle')
  t.is(bundle?.destination, 'verified')
  const res = await request(`${dst.url}/v2/api/app/manifests/${fx.index.digest.replace(':', '-')}`,
    {headers: {accept: 'application/vnd.oci.image.index.v1+json'}})
  t.is(res.status, 404)
})
