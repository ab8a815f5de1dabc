import test from 'ava'
import {createGunzip} from 'node:zlib'
import {Readable} from 'node:stream'
import {run} from './exec.js'
import {sha256, startHostileRegistry, type HostileOptions, type HostileRegistry} from './hostile-registry.js'
import {request} from './net.js'
import {makeTempDir, removeDir} from './tmp.js'

async function hostile(t: {teardown: (fn: () => Promise<void>) => void}, opts?: HostileOptions): Promise<HostileRegistry> {
  const h = await startHostileRegistry(opts)
  t.teardown(() => h.stop())
  return h
}

function valid(h: HostileRegistry) {
  const img = h.images['hostile/valid']
  if (!img) throw new Error('no valid image')
  return img
}

test('skopeo inspects and copies the valid image from the hostile registry', async (t) => {
  const h = await hostile(t)
  const img = valid(h)
  const {stdout} = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${h.host}/hostile/valid:latest`])
  t.is((JSON.parse(stdout) as {Digest?: string}).Digest, img.manifestDigest)
  const dir = makeTempDir('imgvet-hostile-copy')
  t.teardown(() => removeDir(dir))
  await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${h.host}/hostile/valid:latest`, `oci:${dir}:x`])
  t.true(h.requests.some((r) => r.method === 'GET' && r.url === `/v2/hostile/valid/blobs/${img.layers[0]?.digest}`))
})

test('corrupted layer: same size, wrong bytes, skopeo refuses it', async (t) => {
  const h = await hostile(t, {rules: [{target: 'layer', misbehave: {kind: 'corrupt'}}]})
  const img = valid(h)
  const layer = img.layers[0]
  const res = await request(`${h.url}/v2/hostile/valid/blobs/${layer?.digest}`)
  t.is<number | undefined, number | undefined>(res.body.length, layer?.size)
  t.not(sha256(res.body), layer?.digest)
  t.is(res.headers['docker-content-digest'], layer?.digest)
  const dir = makeTempDir('imgvet-hostile-corrupt')
  t.teardown(() => removeDir(dir))
  await t.throwsAsync(run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${h.host}/hostile/valid:latest`, `oci:${dir}:x`]), {message: /digest|checksum|gzip|invalid/i})
  t.true((h.hits[0] ?? 0) >= 1)
})

test('truncated blob: connection dies early; short body: complete response that is too short', async (t) => {
  const h = await hostile(t, {rules: [
    {target: 'layer', misbehave: {kind: 'truncate', bytes: 10}, times: 1},
    {target: 'layer', misbehave: {kind: 'short-body', bytes: 20}, times: 1},
  ]})
  const layer = valid(h).layers[0]
  const path = `${h.url}/v2/hostile/valid/blobs/${layer?.digest}`
  await t.throwsAsync(request(path))
  const short = await request(path)
  t.is(short.status, 200)
  t.is(short.body.length, 20)
  t.is(short.headers['content-length'], '20')
  const honest = await request(path)
  t.is<string | undefined, string | undefined>(sha256(honest.body), layer?.digest)
  t.deepEqual(h.hits, [1, 1])
})

test('wrong manifest for a digest: header claims the digest, body hashes to something else', async (t) => {
  const h = await hostile(t, {rules: [{target: 'manifest', misbehave: {kind: 'wrong-manifest'}}]})
  const img = valid(h)
  const res = await request(`${h.url}/v2/hostile/valid/manifests/${img.manifestDigest}`)
  t.is(res.headers['docker-content-digest'], img.manifestDigest)
  t.not(sha256(res.body), img.manifestDigest)
  // skopeo inspect --raw prints the lie without checking it; copy verifies pinned digests.
  const raw = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${h.host}/hostile/valid@${img.manifestDigest}`])
  t.not(sha256(raw.stdout), img.manifestDigest)
  const dir = makeTempDir('imgvet-hostile-wrong')
  t.teardown(() => removeDir(dir))
  await t.throwsAsync(run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${h.host}/hostile/valid@${img.manifestDigest}`, `oci:${dir}:x`]), {message: /digest/i})
})

for (const status of [429, 503]) {
  test(`${status} with Retry-After twice, then success; attempts are counted`, async (t) => {
    const h = await hostile(t, {rules: [{target: 'manifest', misbehave: {kind: 'status', status, retryAfter: '1'}, times: 2}]})
    const path = `${h.url}/v2/hostile/valid/manifests/latest`
    for (let i = 0; i < 2; i++) {
      const res = await request(path)
      t.is(res.status, status)
      t.is(res.headers['retry-after'], '1')
    }
    t.is((await request(path)).status, 200)
    t.deepEqual(h.hits, [2])
    t.is(h.requests.filter((r) => r.url === '/v2/hostile/valid/manifests/latest').length, 3)
  })
}

test('blob redirect goes to a second port, which records headers (skopeo does not leak Authorization)', async (t) => {
  const h = await hostile(t, {auth: {scheme: 'bearer', username: 'u', password: 'p'}, rules: [{target: 'blob', misbehave: {kind: 'redirect', status: 307}}]})
  const img = valid(h)
  const res = await request(`${h.url}/v2/hostile/valid/blobs/${img.config.digest}`, {headers: {authorization: `Bearer ${h.token}`}})
  t.is(res.status, 307)
  const location = String(res.headers['location'])
  t.true(location.startsWith(h.redirectUrl))
  t.not(new URL(location).port, new URL(h.url).port)
  // A naive client that copies the header shows up in the record.
  await request(location, {headers: {authorization: `Bearer ${h.token}`}})
  t.is(h.redirectRequests.at(-1)?.headers.authorization, `Bearer ${h.token}`)
  const before = h.redirectRequests.length
  const dir = makeTempDir('imgvet-hostile-redirect')
  t.teardown(() => removeDir(dir))
  await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', '--src-creds', 'u:p', `docker://${h.host}/hostile/valid:latest`, `oci:${dir}:x`])
  const viaSkopeo = h.redirectRequests.slice(before)
  t.true(viaSkopeo.length >= 2)
  for (const r of viaSkopeo) t.is(r.headers.authorization, undefined)
})

test('Basic and Bearer challenges', async (t) => {
  const basic = await hostile(t, {auth: {scheme: 'basic', username: 'u', password: 'p'}})
  const anon = await request(`${basic.url}/v2/`)
  t.is(anon.status, 401)
  t.is(anon.headers['www-authenticate'], 'Basic realm="hostile"')
  t.is((await request(`${basic.url}/v2/`, {headers: {authorization: `Basic ${Buffer.from('u:p').toString('base64')}`}})).status, 200)

  const bearer = await hostile(t, {auth: {scheme: 'bearer', username: 'u', password: 'p'}})
  const ch = await request(`${bearer.url}/v2/hostile/valid/manifests/latest`)
  t.regex(String(ch.headers['www-authenticate']), /^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/token",service="hostile",scope="repository:hostile\/valid:pull"$/)
  t.is((await request(`${bearer.url}/token?service=hostile`)).status, 401)
  const {stdout} = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', 'u:p', `docker://${bearer.host}/hostile/valid:latest`])
  t.is(sha256(stdout), valid(bearer).manifestDigest)
  t.true(bearer.requests.some((r) => r.url.startsWith('/token') && r.headers.authorization === `Basic ${Buffer.from('u:p').toString('base64')}`))
})

test('64 MiB manifest, with and without Content-Length', async (t) => {
  const h = await hostile(t, {rules: [
    {target: 'manifest', misbehave: {kind: 'huge'}, times: 1},
    {target: 'manifest', misbehave: {kind: 'huge', chunked: true}, times: 1},
  ]})
  const sized = await request(`${h.url}/v2/hostile/valid/manifests/latest`, {timeoutMs: 30_000})
  t.is(sized.headers['content-length'], String(64 * 1024 * 1024))
  t.is(sized.body.length, 64 * 1024 * 1024)
  const chunked = await request(`${h.url}/v2/hostile/valid/manifests/latest`, {timeoutMs: 30_000})
  t.is(chunked.headers['content-length'], undefined)
  t.is(chunked.headers['transfer-encoding'], 'chunked')
  t.is(chunked.body.length, 64 * 1024 * 1024)
})

test('a server that never answers', async (t) => {
  const h = await hostile(t, {rules: [{target: 'ping', misbehave: {kind: 'hang'}}]})
  await t.throwsAsync(request(`${h.url}/v2/`, {timeoutMs: 300}), {message: /timeout/})
  t.is(h.requests.length, 1)
})

test('gzip bomb layer: small, honest digest and diffID, expands to the configured size', async (t) => {
  const size = 64 * 1024 * 1024
  const h = await hostile(t, {bombSize: size})
  const img = h.images['hostile/bomb']
  const layer = img?.layers[0]
  const res = await request(`${h.url}/v2/hostile/bomb/blobs/${layer?.digest}`)
  t.is<string | undefined, string | undefined>(sha256(res.body), layer?.digest)
  t.true(res.body.length * 500 < size)
  let total = 0
  for await (const chunk of Readable.from([res.body]).pipe(createGunzip())) total += (chunk as Buffer).length
  t.true(total > size)
  const config = JSON.parse(img?.config.data.toString('utf8') ?? '{}') as {rootfs?: {diff_ids?: string[]}}
  t.deepEqual(config.rootfs?.diff_ids, img?.diffIds)
})
