import test from 'ava'
import {createHash} from 'node:crypto'
import {run} from './exec.js'
import {dockerRef, loadFixtures, type ImageState, type RegistryState} from './env.js'
import {endpoint} from './fixture-images.js'
import {skopeoCopy, skopeoInspectRaw} from './builder.js'
import {request} from './net.js'
import {startRegistry} from './registry.js'

const fx = loadFixtures()
const OCI_ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json'
const ALL_ACCEPT = `${OCI_ACCEPT}, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json`

function sha(s: string | Buffer): string {
  return `sha256:${createHash('sha256').update(s).digest('hex')}`
}

const registryOf = (img: ImageState): RegistryState => fx.registries[img.registry]

for (const [name, img] of Object.entries(fx.images)) {
  test(`skopeo reads fixture image ${name} with the recorded digest and media type`, async (t) => {
    const raw = await skopeoInspectRaw(dockerRef(img), endpoint(registryOf(img)))
    t.is(sha(raw), img.digest)
    t.is((JSON.parse(raw) as {mediaType?: string}).mediaType, img.mediaType)
  })
}

test('multi-arch fixtures resolve to amd64 and arm64 images', async (t) => {
  for (const img of [fx.images.multiOci, fx.images.multiDocker]) {
    t.deepEqual(img.platforms?.map((p) => p.platform), ['linux/amd64', 'linux/arm64/v8'])
    for (const arch of ['amd64', 'arm64']) {
      const {stdout} = await run('skopeo', ['inspect', '--tls-verify=false', '--override-arch', arch, dockerRef(img)])
      t.is((JSON.parse(stdout) as {Architecture?: string}).Architecture, arch)
    }
  }
  t.is(fx.images.multiOci.mediaType, 'application/vnd.oci.image.index.v1+json')
  t.is(fx.images.multiDocker.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json')
})

test('media types: OCI base, Docker schema2 base, zstd layer', (t) => {
  t.deepEqual(fx.images.base.layerMediaTypes, ['application/vnd.oci.image.layer.v1.tar+gzip'])
  t.deepEqual(fx.images.baseDocker.layerMediaTypes, ['application/vnd.docker.image.rootfs.diff.tar.gzip'])
  t.deepEqual(fx.images.zstd.layerMediaTypes, ['application/vnd.oci.image.layer.v1.tar+zstd'])
})

test('the distribution registry hides OCI manifests unless Accept lists OCI types', async (t) => {
  const {url} = fx.registries.plain
  const path = `${url}/v2/${fx.images.base.repository}/manifests/${fx.images.base.tag}`
  const dockerOnly = await request(path, {headers: {accept: 'application/vnd.docker.distribution.manifest.v2+json'}})
  t.is(dockerOnly.status, 404)
  const oci = await request(path, {headers: {accept: OCI_ACCEPT}})
  t.is(oci.status, 200)
  t.is(oci.headers['docker-content-digest'], fx.images.base.digest)
  t.is(sha(oci.body), fx.images.base.digest)
})

test('_catalog paginates with Link headers and lists every repository', async (t) => {
  const {url} = fx.registries.plain
  let next: string | undefined = `/v2/_catalog?n=${fx.catalog.pageSize}`
  const seen: string[] = []
  let pages = 0
  while (next) {
    const res = await request(`${url}${next}`)
    t.is(res.status, 200)
    const page = (JSON.parse(res.body.toString('utf8')) as {repositories: string[]}).repositories
    t.true(page.length <= fx.catalog.pageSize)
    seen.push(...page)
    pages++
    const link = res.headers['link']
    next = typeof link === 'string' ? /<([^>]+)>;\s*rel="next"/.exec(link)?.[1] : undefined
  }
  t.true(pages >= 3)
  t.deepEqual(seen, fx.catalog.repositories)
  for (const repo of fx.catalog.paginatedRepositories) t.true(seen.includes(repo))
})

test('TLS registry: rejected without the CA, accepted with it (node and skopeo)', async (t) => {
  const tls = fx.registries.tls
  t.truthy(tls.caFile)
  const err = await t.throwsAsync(request(`${tls.url}/v2/`))
  t.regex(err?.message ?? '', /certificate|self.signed|verify/i)
  const ok = await request(`${tls.url}/v2/`, {caFile: tls.caFile})
  t.is(ok.status, 200)
  const ref = dockerRef(fx.images.baseTls)
  await t.throwsAsync(run('skopeo', ['inspect', '--raw', '--tls-verify=true', ref]), {message: /certificate|x509/i})
  const raw = await skopeoInspectRaw(ref, {tlsVerify: true, certDir: tls.certDir})
  t.is(sha(raw), fx.images.baseTls.digest)
})

test('htpasswd registry: 401 with a Basic challenge, 200 with the credentials', async (t) => {
  const r = fx.registries.htpasswd
  const anon = await request(`${r.url}/v2/`)
  t.is(anon.status, 401)
  t.regex(String(anon.headers['www-authenticate']), /^Basic realm="/)
  const basic = (u: string, p: string) => ({authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`})
  t.is((await request(`${r.url}/v2/`, {headers: basic(r.username ?? '', 'wrong')})).status, 401)
  t.is((await request(`${r.url}/v2/`, {headers: basic(r.username ?? '', r.password ?? '')})).status, 200)
  const manifest = await request(`${r.url}/v2/${fx.images.baseHtpasswd.repository}/manifests/oci`,
    {headers: {...basic(r.username ?? '', r.password ?? ''), accept: ALL_ACCEPT}})
  t.is(manifest.status, 200)
  t.is(sha(manifest.body), fx.images.baseHtpasswd.digest)
})

async function fetchToken(r: RegistryState, scope: string, creds?: {username: string; password: string}): Promise<string> {
  const challenge = String((await request(`${r.url}/v2/`)).headers['www-authenticate'])
  const realm = /realm="([^"]+)"/.exec(challenge)?.[1] ?? ''
  const service = /service="([^"]+)"/.exec(challenge)?.[1] ?? ''
  const headers = creds ? {authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`} : undefined
  const res = await request(`${realm}?service=${encodeURIComponent(service)}&scope=${encodeURIComponent(scope)}`, {headers})
  if (res.status !== 200) throw new Error(`token server answered ${res.status}`)
  return (JSON.parse(res.body.toString('utf8')) as {token: string}).token
}

test('token registry: Bearer challenge, then works with a token from the token server', async (t) => {
  const r = fx.registries.token
  const anon = await request(`${r.url}/v2/${fx.images.baseToken.repository}/manifests/oci`, {headers: {accept: ALL_ACCEPT}})
  t.is(anon.status, 401)
  const challenge = String(anon.headers['www-authenticate'])
  t.regex(challenge, /^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/token",service="[^"]+",scope="repository:imgvet\/base:pull"/)
  const creds = {username: r.username ?? '', password: r.password ?? ''}
  const token = await fetchToken(r, 'repository:imgvet/base:pull', creds)
  const ok = await request(`${r.url}/v2/${fx.images.baseToken.repository}/manifests/oci`, {headers: {authorization: `Bearer ${token}`, accept: ALL_ACCEPT}})
  t.is(ok.status, 200)
  t.is(sha(ok.body), fx.images.baseToken.digest)
})

test('token registry: anonymous clients pull public repositories only', async (t) => {
  const r = fx.registries.token
  const pub = await fetchToken(r, `repository:${fx.images.publicToken.repository}:pull`)
  const ok = await request(`${r.url}/v2/${fx.images.publicToken.repository}/manifests/oci`, {headers: {authorization: `Bearer ${pub}`, accept: ALL_ACCEPT}})
  t.is(ok.status, 200)
  const priv = await fetchToken(r, `repository:${fx.images.baseToken.repository}:pull`)
  const denied = await request(`${r.url}/v2/${fx.images.baseToken.repository}/manifests/oci`, {headers: {authorization: `Bearer ${priv}`, accept: ALL_ACCEPT}})
  t.is(denied.status, 401)
  await t.throwsAsync(fetchToken(r, 'repository:imgvet/base:pull', {username: r.username ?? '', password: 'wrong'}), {message: /401/})
})

test('a private token registry records scopes and credentials of a real push', async (t) => {
  const reg = await startRegistry({mode: 'token'})
  t.teardown(() => reg.stop())
  const ts = reg.tokenServer
  if (!ts) return t.fail('token mode must own a token server')
  const target = `docker://${reg.host}/mirror/base:v1`
  await t.throwsAsync(skopeoCopy(dockerRef(fx.images.base), target, {}, process.env['IMGVET_TEST_TMP']))
  const digest = await skopeoCopy(dockerRef(fx.images.base), target, {dest: {creds: `${reg.username}:${reg.password}`}}, process.env['IMGVET_TEST_TMP'])
  t.is(digest, fx.images.base.digest)
  const pushes = ts.requests.filter((q) => q.authenticated && q.scopes.some((s) => s.name === 'mirror/base' && s.actions.includes('push')))
  t.true(pushes.length > 0)
  t.is(pushes[0]?.username, reg.username)
  t.deepEqual(pushes[0]?.granted.find((s) => s.name === 'mirror/base')?.actions.sort(), ['pull', 'push'])
  t.true(ts.requests.some((q) => !q.authenticated && q.granted.length === 0))
  const raw = await skopeoInspectRaw(target, {creds: `${reg.username}:${reg.password}`})
  t.is(sha(raw), fx.images.base.digest)
})
