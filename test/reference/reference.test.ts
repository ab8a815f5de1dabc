import test from 'ava'
import {ImgvetError} from '../../src/errors.js'
import {formatReference, parseReference, registryEndpoint, repositoryName} from '../../src/reference/reference.js'
import {formatTransport, parseTransport} from '../../src/reference/transport.js'

const HEX = 'a'.repeat(64)
const DIGEST = `sha256:${HEX}`

test('a bare name is normalised the way docker does it', (t) => {
  t.deepEqual(parseReference('nginx'), {registry: 'docker.io', repository: 'library/nginx', tag: 'latest', digest: undefined})
  t.is(formatReference(parseReference('nginx')), 'docker.io/library/nginx:latest')
  t.is(formatReference(parseReference('nginx:1.27')), 'docker.io/library/nginx:1.27')
  t.is(formatReference(parseReference('bitnami/redis')), 'docker.io/bitnami/redis:latest')
  t.is(repositoryName(parseReference('nginx')), 'docker.io/library/nginx')
})

test('docker.io aliases collapse to docker.io, whose endpoint is registry-1.docker.io', (t) => {
  for (const s of ['docker.io/nginx', 'docker.io/library/nginx', 'index.docker.io/library/nginx', 'registry-1.docker.io/library/nginx']) {
    const r = parseReference(s)
    t.is(r.registry, 'docker.io', s)
    t.is(r.repository, 'library/nginx', s)
  }
  t.is(registryEndpoint('docker.io'), 'registry-1.docker.io')
  t.is(registryEndpoint('ghcr.io'), 'ghcr.io')
  t.is(registryEndpoint('127.0.0.1:5000'), '127.0.0.1:5000')
})

test('host:port/ns/repo:tag@digest keeps every part', (t) => {
  const r = parseReference(`registry.example.com:5000/team/app:1.2.3@${DIGEST}`)
  t.deepEqual(r, {registry: 'registry.example.com:5000', repository: 'team/app', tag: '1.2.3', digest: DIGEST})
  t.is(formatReference(r), `registry.example.com:5000/team/app:1.2.3@${DIGEST}`)
})

test('a digest alone means no implicit latest tag', (t) => {
  const r = parseReference(`nginx@${DIGEST}`)
  t.is(r.tag, undefined)
  t.is(r.digest, DIGEST)
  t.is(r.repository, 'library/nginx')
})

test('localhost and host:port are registries; a first component without dot or port is a namespace', (t) => {
  t.deepEqual(parseReference('localhost:5000/x'), {registry: 'localhost:5000', repository: 'x', tag: 'latest', digest: undefined})
  t.is(parseReference('localhost/x').registry, 'localhost')
  t.is(parseReference('127.0.0.1:5000/a/b/c:t').repository, 'a/b/c')
  const ns = parseReference('myorg/app')
  t.is(ns.registry, 'docker.io')
  t.is(ns.repository, 'myorg/app')
  // a tag that looks like a port is still a tag when there is no slash
  t.deepEqual(parseReference('app:5000'), {registry: 'docker.io', repository: 'library/app', tag: '5000', digest: undefined})
})

const INVALID: Array<[string, RegExp]> = [
  ['', /empty/],
  ['   ', /empty/],
  ['Nginx', /lowercase/],
  ['docker.io/Library/nginx', /lowercase/],
  ['ng inx', /white space/],
  ['nginx:1.0 beta', /white space/],
  ['nginx@sha256:abc', /digest/],
  [`nginx@sha256:${'A'.repeat(64)}`, /digest/],
  ['nginx@md5', /digest/],
  ['nginx:', /tag/],
  ['nginx:-bad', /tag/],
  ['registry.example.com/', /repository/],
  ['a//b', /component/],
  ['-leading/dash', /component/],
  ['bad_host_.com:5000/x', /host|component/],
]

for (const [input, why] of INVALID) {
  test(`"${input}" is rejected as bad-reference (exit 2)`, (t) => {
    const err = t.throws(() => parseReference(input), {instanceOf: ImgvetError})
    t.is(err?.code, 'bad-reference')
    t.is(err?.exitCode, 2)
    t.regex(err?.message ?? '', why)
  })
}

test('transport oci:DIR[:tag]', (t) => {
  t.deepEqual(parseTransport('oci:/tmp/layout:v1'), {kind: 'oci', path: '/tmp/layout', tag: 'v1'})
  t.deepEqual(parseTransport('oci:/tmp/layout'), {kind: 'oci', path: '/tmp/layout'})
  t.deepEqual(parseTransport('oci:relative/dir:latest'), {kind: 'oci', path: 'relative/dir', tag: 'latest'})
  t.is(formatTransport(parseTransport('oci:/tmp/layout:v1')), 'oci:/tmp/layout:v1')
})

test('transport oci-archive: and docker-archive:', (t) => {
  t.deepEqual(parseTransport('oci-archive:/tmp/img.tar'), {kind: 'oci-archive', path: '/tmp/img.tar'})
  t.deepEqual(parseTransport('oci-archive:/tmp/img.tar:latest'), {kind: 'oci-archive', path: '/tmp/img.tar', tag: 'latest'})
  t.deepEqual(parseTransport('docker-archive:/tmp/save.tar'), {kind: 'docker-archive', path: '/tmp/save.tar'})
})

// skopeo's syntax is docker-archive:PATH[:docker-reference]; containers/image splits PATH at the first colon.
test('docker-archive:PATH:repo:tag takes the whole docker reference after the path', (t) => {
  const parsed = parseTransport('docker-archive:/tmp/save.tar:imgvet/base:latest')
  t.is(parsed.kind, 'docker-archive')
  t.is(parsed.kind === 'docker-archive' ? parsed.path : '', '/tmp/save.tar')
})

test('docker:// and bare references are the registry transport', (t) => {
  const a = parseTransport('docker://nginx:1.27')
  t.is(a.kind, 'registry')
  t.is(a.kind === 'registry' ? formatReference(a.ref) : '', 'docker.io/library/nginx:1.27')
  const b = parseTransport('localhost:5000/x@' + DIGEST)
  t.deepEqual(b, {kind: 'registry', ref: {registry: 'localhost:5000', repository: 'x', tag: undefined, digest: DIGEST}})
  // a Hub name that happens to look like "scheme:tag" is a tag, not a transport
  const c = parseTransport('oci2:latest')
  t.is(c.kind, 'registry')
})

test('empty transports and unsupported transports are bad-reference', (t) => {
  for (const s of ['oci:', 'oci-archive:', 'docker-archive:', 'docker://', 'docker://UPPER/case']) {
    const err = t.throws(() => parseTransport(s), {instanceOf: ImgvetError}, s)
    t.is(err?.code, 'bad-reference', s)
  }
  for (const s of ['dir:/tmp/x', 'containers-storage:/var/x', 'docker-daemon:nginx/x.y:1']) {
    const err = t.throws(() => parseTransport(s), {instanceOf: ImgvetError}, s)
    t.is(err?.code, 'bad-reference', s)
    t.regex(err?.message ?? '', /not supported/, s)
  }
})
