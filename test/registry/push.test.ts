import test from 'ava'
import {randomBytes} from 'node:crypto'
import {Readable} from 'node:stream'
import {digestOf} from '../../src/image/digest.js'
import {MediaType, type Descriptor} from '../../src/image/types.js'
import {pushBlob, putManifest, readFallback, updateFallbackIndex} from '../../src/registry/push.js'
import {makeServerCerts} from '../support/certs.js'
import {startPushProxy} from '../support/hostile-push.js'
import {request} from '../support/net.js'
import {Pusher} from '../support/push.js'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import {makeTempDir} from '../support/tmp.js'
import {registries} from '../support/cli.js'

// Push against the real CNCF registry, plain and behind the hostile push proxy, with Basic and token auth.
let plain: RunningRegistry
let basic: RunningRegistry
let token: RunningRegistry
test.before(async () => {
  ;[plain, basic, token] = await Promise.all([
    startRegistry({mode: 'plain'}), startRegistry({mode: 'htpasswd'}), startRegistry({mode: 'token'}),
  ])
})
test.after.always(() => Promise.all([plain?.stop(), basic?.stop(), token?.stop()]))

function blob(size: number): {desc: Descriptor; bytes: Buffer; open: () => Promise<Readable>} {
  const bytes = randomBytes(size)
  const desc = {mediaType: 'application/octet-stream', digest: digestOf(bytes), size}
  return {desc, bytes, open: async () => Readable.from([bytes.subarray(0, size >> 1), bytes.subarray(size >> 1)])}
}

async function stored(base: string, repo: string, digest: string, auth?: string): Promise<Buffer | null> {
  const r = await request(`${base}/v2/${repo}/blobs/${digest}`, {headers: auth ? {authorization: auth} : {}})
  return r.status === 200 ? r.body : null
}

test('monolithic PUT, then HEAD finds it: the second push sends nothing', async (t) => {
  const proxy = await startPushProxy(plain.url)
  t.teardown(() => proxy.stop())
  const client = registries(t).get(proxy.host)
  const b = blob(100_000)
  t.is(await pushBlob(client, 'push/mono', b.desc, {open: b.open}), 'uploaded')
  t.true((await stored(plain.url, 'push/mono', b.desc.digest))?.equals(b.bytes))
  const writes = proxy.writes().length
  t.is(await pushBlob(client, 'push/mono', b.desc, {open: b.open}), 'present')
  t.is(proxy.writes().length, writes)
})

test('chunked PATCH follows the newest Location each time (CNCF 2.8 cancels a session on a stale one)', async (t) => {
  const proxy = await startPushProxy(plain.url)
  t.teardown(() => proxy.stop())
  const client = registries(t).get(proxy.host)
  const b = blob(250_000)
  t.is(await pushBlob(client, 'push/chunked', b.desc, {open: b.open, chunkSize: 100_000}), 'uploaded')
  const patches = proxy.requests.filter((r) => r.method === 'PATCH')
  t.is(patches.length, 3)
  t.deepEqual(patches.map((p) => p.headers['content-range']), ['0-99999', '100000-199999', '200000-249999'])
  // Each PATCH went to a different Location (the _state changes with every chunk).
  t.is(new Set(patches.map((p) => p.url)).size, 3)
  t.true((await stored(plain.url, 'push/chunked', b.desc.digest))?.equals(b.bytes))
})

test('cross-repository mount: 201 when the source repository has it, the 202 session used otherwise', async (t) => {
  const proxy = await startPushProxy(plain.url)
  t.teardown(() => proxy.stop())
  const client = registries(t).get(proxy.host)
  const b = blob(5000)
  await pushBlob(client, 'push/from', b.desc, {open: b.open})
  t.is(await pushBlob(client, 'push/to', b.desc, {open: b.open, mountFrom: 'push/from'}), 'mounted')
  const c = blob(5000)
  t.is(await pushBlob(client, 'push/to', c.desc, {open: c.open, mountFrom: 'push/from'}), 'uploaded')
  t.true((await stored(plain.url, 'push/to', c.desc.digest))?.equals(c.bytes))
})

test('manifest PUT by digest and by tag under its own Content-Type; the registry keeps the bytes', async (t) => {
  const client = registries(t).get(plain.host)
  const cfg = blob(10)
  await pushBlob(client, 'push/m', cfg.desc, {open: cfg.open})
  const bytes = Buffer.from(JSON.stringify({schemaVersion: 2, mediaType: MediaType.ociManifest,
    config: {...cfg.desc, mediaType: MediaType.ociConfig}, layers: []}, null, 1))
  const raw = {mediaType: MediaType.ociManifest, digest: digestOf(bytes), bytes}
  t.is((await putManifest(client, 'push/m', raw.digest, raw)).digest, raw.digest)
  await putManifest(client, 'push/m', 'v1', raw)
  const back = await client.getManifest('push/m', 'v1')
  t.true(back.bytes.equals(bytes))
  t.is(back.digest, raw.digest)
  // An index naming a manifest the repository lacks is refused with a coded error.
  const idx = Buffer.from(JSON.stringify({schemaVersion: 2, mediaType: MediaType.ociIndex,
    manifests: [{mediaType: MediaType.ociManifest, digest: digestOf('x'), size: 1}]}))
  const e = await t.throwsAsync(putManifest(client, 'push/m', 'bad',
    {mediaType: MediaType.ociIndex, digest: digestOf(idx), bytes: idx}))
  t.regex(e?.message ?? '', /MANIFEST_BLOB_UNKNOWN/)
})

test('Basic and token auth: push scope asked for, and a mount asks pull on the repository it mounts from',
  async (t) => {
  const b = blob(3000)
  const withBasic = registries(t, {username: basic.username, password: basic.password}).get(basic.host)
  t.is(await pushBlob(withBasic, 'push/basic', b.desc, {open: b.open}), 'uploaded')
  const withToken = registries(t, {username: token.username, password: token.password}).get(token.host)
  t.is(await pushBlob(withToken, 'push/a', b.desc, {open: b.open}), 'uploaded')
  t.is(await pushBlob(withToken, 'push/b', b.desc, {open: b.open, mountFrom: 'push/a'}), 'mounted')
  const scopes = token.tokenServer?.requests.flatMap((r) => r.granted.map((g) => `${g.type}:${g.name}:${g.actions.join(',')}`)) ?? []
  t.true(scopes.includes('repository:push/a:pull,push'))
  t.true(scopes.includes('repository:push/b:pull,push') && scopes.includes('repository:push/a:pull'))
})

test('a PUT answered with another digest is an integrity error', async (t) => {
  const proxy = await startPushProxy(plain.url, [{kind: 'put-digest-lie'}])
  t.teardown(() => proxy.stop())
  const b = blob(1000)
  const e = await t.throwsAsync(pushBlob(registries(t).get(proxy.host), 'push/lie', b.desc, {open: b.open}))
  t.regex(e?.message ?? '', /stored the blob as sha256:0{64}/)
})

test('429 on push is retried after Retry-After; the upload then completes', async (t) => {
  const proxy = await startPushProxy(plain.url, [{kind: 'status', method: 'POST', path: /\/blobs\/uploads\//, status: 429, retryAfter: '1', times: 2}])
  t.teardown(() => proxy.stop())
  const b = blob(1000)
  t.is(await pushBlob(registries(t).get(proxy.host), 'push/429', b.desc, {open: b.open}), 'uploaded')
  t.deepEqual(proxy.requests.filter((r) => r.method === 'POST').map((r) => r.status), [429, 429, 202])
})

test('a stalled PUT times out with a coded error', async (t) => {
  const proxy = await startPushProxy(plain.url, [{kind: 'stall', method: 'PUT', path: /\/blobs\/uploads\//}])
  t.teardown(() => proxy.stop())
  const b = blob(1000)
  const e = await t.throwsAsync(pushBlob(registries(t, {timeoutMs: 1500}).get(proxy.host), 'push/stall', b.desc,
    {open: b.open}))
  t.is((e as {code?: string}).code, 'timeout')
})

test('a Location on another host gets no Authorization', async (t) => {
  const proxy = await startPushProxy(basic.url, [{kind: 'location-other-host'}])
  t.teardown(() => proxy.stop())
  const b = blob(1000)
  const client = registries(t, {username: basic.username, password: basic.password}).get(proxy.host)
  await t.throwsAsync(pushBlob(client, 'push/other', b.desc, {open: b.open}))
  t.true(proxy.requests.some((r) => r.headers.authorization !== undefined), 'the registry itself gets the credentials')
  t.true(proxy.other.requests.length > 0, 'the client did go to the other host')
  t.true(proxy.other.requests.every((r) => r.headers.authorization === undefined))
})

test('a Location that drops from https to http is refused before any request is sent there', async (t) => {
  const certs = await makeServerCerts(makeTempDir('push-tls'))
  const proxy = await startPushProxy(plain.url, [{kind: 'location-downgrade'}], certs)
  t.teardown(() => proxy.stop())
  const b = blob(1000)
  const client = registries(t, {caFile: certs.caFile}).get(proxy.host)
  const e = await t.throwsAsync(pushBlob(client, 'push/down', b.desc, {open: b.open}))
  t.regex(e?.message ?? '', /downgrade from https to http/)
  t.is(proxy.requests.filter((r) => r.method === 'PUT').length, 0)
})

test('fallback index: merged with what is there, re-merged after a racing writer, loss reported when it persists',
  async (t) => {
  const p = new Pusher(plain.url)
  const subject = await p.image('push/ref', 'v1', 'subject')
  const foreign = await p.artifact('push/ref', null, {artifactType: 'application/x-foreign', layers: [], subject})
  const ours = await p.artifact('push/ref', null,
    {artifactType: 'application/x-ours', layers: [], subject, annotations: {a: 'b'}})
  const desc: Descriptor = {mediaType: MediaType.ociManifest, digest: ours.digest, size: ours.size,
    artifactType: 'application/x-ours', annotations: {a: 'b'}}
  const foreignDesc = {mediaType: MediaType.ociManifest, digest: foreign.digest, size: foreign.size,
    artifactType: 'application/x-foreign'}
  const once = await startPushProxy(plain.url, [{kind: 'race-fallback-tag', entry: foreignDesc, times: 1}])
  t.teardown(() => once.stop())
  const up = await updateFallbackIndex(registries(t).get(once.host), 'push/ref', subject.digest, [desc])
  t.true(up.complete)
  t.is(up.puts, 2)
  const now = await readFallback(registries(t).get(plain.host), 'push/ref', subject.digest.replace(':', '-'))
  t.deepEqual(now?.entries.map((e) => e.digest).sort(), [foreign.digest, ours.digest].sort())
  t.deepEqual(now?.entries.find((e) => e.digest === ours.digest)?.annotations, {a: 'b'})
  const subject2 = await p.image('push/ref', 'v2', 'subject2')
  const always = await startPushProxy(plain.url, [{kind: 'race-fallback-tag', entry: foreignDesc}])
  t.teardown(() => always.stop())
  const lost = await updateFallbackIndex(registries(t).get(always.host), 'push/ref', subject2.digest, [desc])
  t.false(lost.complete)
  t.is(lost.puts, 3)
})

