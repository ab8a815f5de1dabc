// The OCI 1.1 referrers API path. The CNCF registry in the shared fixtures has no referrers API, so the hostile
// registry serves one (opt-in) and 404s the `sha256-<hex>` fallback tag while it does: a pass here cannot have
// come through the fallback.
import test from 'ava'
import {ImgvetError} from '../../src/errors.js'
import {parseReference} from '../../src/reference/reference.js'
import {Registries, RegistryClient} from '../../src/registry/client.js'
import {discoverSupplyChain} from '../../src/registry/referrers.js'
import {checkSupplyChain} from '../../src/signatures/index.js'
import {artifactManifest, blob, buildValidImage, startHostileRegistry, type HostileOptions, type HostileRegistry, type TestArtifact, type TestImage} from '../support/hostile-registry.js'
import * as h from '../signatures/private-sigstore.js'
import {BUNDLE_TYPE, statementFor} from '../signatures/support.js'

const NOTATION_TYPE = 'application/vnd.cncf.notary.signature'
const SBOM_TYPE = 'application/spdx+json'
const REPO = 'app/signed'

const s = await h.privateSigstore()
const signer = await h.keylessSigner(s)
const identity = {subject: h.WORKFLOW, issuer: h.GH_ISSUER}

/** A cosign v3 signature: a DSSE bundle over the cosign sign statement for the image, in an artifact manifest. */
async function bundleReferrer(img: TestImage): Promise<TestArtifact> {
  const bundle = await h.dsseBundle(s, signer, statementFor(img.manifestDigest, 'https://sigstore.dev/cosign/sign/v1', {}))
  return artifactManifest({artifactType: BUNDLE_TYPE, subject: img, layers: [blob(BUNDLE_TYPE, Buffer.from(JSON.stringify(bundle)))]})
}

function notationReferrer(img: TestImage): TestArtifact {
  return artifactManifest({artifactType: NOTATION_TYPE, subject: img, layers: [blob('application/jose+json', Buffer.from('not a real JWS'))]})
}

function sbomReferrer(img: TestImage): TestArtifact {
  return artifactManifest({artifactType: SBOM_TYPE, subject: img, layers: [blob(SBOM_TYPE, Buffer.from('{"spdxVersion":"SPDX-2.3"}'))],
    annotations: {'org.opencontainers.image.created': '2024-01-01T00:00:00Z'}})
}

async function serve(t: {teardown: (fn: () => Promise<void>) => void}, img: TestImage, artifacts: TestArtifact[], opts: HostileOptions = {}): Promise<HostileRegistry> {
  const reg = await startHostileRegistry({images: {[REPO]: img}, artifacts: {[REPO]: artifacts}, ...opts})
  t.teardown(() => reg.stop())
  return reg
}

function client(t: {teardown: (fn: () => void) => void}, reg: HostileRegistry, log?: (m: string) => void): RegistryClient {
  const c = new RegistryClient(reg.host, {timeoutMs: 5000, retries: 0, log})
  t.teardown(() => c.close())
  return c
}

const referrerRequests = (reg: HostileRegistry) => reg.requests.filter((r) => r.url.includes('/referrers/')).map((r) => r.url)
const fallbackRequests = (reg: HostileRegistry, digest: string) => reg.requests.filter((r) => r.url.endsWith(`/manifests/${digest.replace(':', '-')}`))

test('discoverSupplyChain lists referrers through the API, merging both pages, and never asks for the fallback tag', async (t) => {
  const img = await buildValidImage({'hello.txt': 'referrers api\n'})
  const artifacts = [await bundleReferrer(img), notationReferrer(img), sbomReferrer(img)]
  const reg = await serve(t, img, artifacts, {referrersApi: {pages: 2, filtersApplied: 'artifactType'}})
  const logs: string[] = []
  const c = client(t, reg, (m) => logs.push(m))

  const sc = await discoverSupplyChain(c, REPO, img.manifestDigest)
  t.is(sc.referrersVia, 'api')
  t.deepEqual(sc.referrers.map((d) => d.digest), artifacts.map((a) => a.manifestDigest))
  t.deepEqual(sc.referrers.map((d) => d.artifactType), [BUNDLE_TYPE, NOTATION_TYPE, SBOM_TYPE])
  t.deepEqual(sc.referrers.map((d) => d.size), artifacts.map((a) => a.manifest.length))
  t.is(sc.referrers[2]?.annotations?.['org.opencontainers.image.created'], '2024-01-01T00:00:00Z')
  // Two pages were fetched (the second through the Link header), and the fallback tag was never requested.
  t.deepEqual(referrerRequests(reg), [`/v2/${REPO}/referrers/${img.manifestDigest}`, `/v2/${REPO}/referrers/${img.manifestDigest}?page=2`])
  t.deepEqual(fallbackRequests(reg, img.manifestDigest), [])
  // OCI-Filters-Applied is informational: everything listed is kept, the header only shows up in the log.
  t.true(logs.some((l) => l.includes('OCI-Filters-Applied: artifactType')), logs.join('\n'))

  // While the API is served, the fallback tag 404s: a client that fell back would have found nothing.
  const err = await t.throwsAsync(c.getManifest(REPO, img.manifestDigest.replace(':', '-')), {instanceOf: ImgvetError})
  t.is(err?.code, 'not-found')

  // A digest nothing refers to is an empty answer from the API, not "no API".
  const none = await discoverSupplyChain(c, REPO, artifacts[0]?.manifestDigest ?? '')
  t.is(none.referrersVia, 'api')
  t.deepEqual(none.referrers, [])
})

test('the same registry without the referrers API: the API 404s and the sha256-<hex> tag fallback finds the same referrers', async (t) => {
  const img = await buildValidImage({'hello.txt': 'fallback control\n'})
  const artifacts = [await bundleReferrer(img), notationReferrer(img)]
  const reg = await serve(t, img, artifacts)
  const sc = await discoverSupplyChain(client(t, reg), REPO, img.manifestDigest)
  t.is(sc.referrersVia, 'tag-fallback')
  t.deepEqual(sc.referrers.map((d) => d.digest), artifacts.map((a) => a.manifestDigest))
  t.deepEqual(referrerRequests(reg), [`/v2/${REPO}/referrers/${img.manifestDigest}`])
  t.is(fallbackRequests(reg, img.manifestDigest).length, 1)
})

test('a cosign v3 bundle referrer verifies end to end through the referrers API; a Notation referrer is reported present', async (t) => {
  const img = await buildValidImage({'hello.txt': 'signed through the api\n'})
  const bundle = await bundleReferrer(img)
  const notation = notationReferrer(img)
  const reg = await serve(t, img, [bundle, notation], {referrersApi: {pages: 2}})
  const registries = new Registries({timeoutMs: 5000})
  t.teardown(() => registries.close())

  const r = await checkSupplyChain({reference: parseReference(`${reg.host}/${REPO}@${img.manifestDigest}`), registries,
    platform: {os: 'linux', architecture: 'amd64'}, overrides: {identity}, trustRoot: s.trustRoot})
  t.true(r.summary.verified, r.summary.reasons.join('\n'))
  t.deepEqual(r.summary.referrersVia, [`manifest ${img.manifestDigest}: api`])
  const b = r.summary.signatures.find((x) => x.kind === 'bundle')
  t.true(b?.verified)
  t.truthy(b?.location.includes(bundle.manifestDigest))
  t.is(b?.signer?.identity, h.WORKFLOW)
  t.is(b?.signer?.issuer, h.GH_ISSUER)
  t.regex(b?.tlog[0]?.logIndex ?? '', /^\d+$/)
  const n = r.summary.signatures.find((x) => x.kind === 'notation')
  t.truthy(n?.location.includes(notation.manifestDigest))
  t.false(n?.verified)
  t.deepEqual(r.findings.map((f) => f.id), ['signature.notation-unverified'])
  // The bundle's manifest and layer were fetched from this registry; the fallback tag never was.
  t.true(reg.requests.some((q) => q.url === `/v2/${REPO}/manifests/${bundle.manifestDigest}`))
  t.deepEqual(fallbackRequests(reg, img.manifestDigest), [])
})

test('referrers pages that link in a loop are a one-line registry error, not a hang', async (t) => {
  t.timeout(20_000)
  const img = await buildValidImage({'hello.txt': 'loop\n'})
  const artifacts = [notationReferrer(img), sbomReferrer(img)]
  for (const pages of [2, 1]) {
    const reg = await serve(t, img, artifacts, {referrersApi: {pages, loop: true}})
    const err = await t.throwsAsync(discoverSupplyChain(client(t, reg), REPO, img.manifestDigest), {instanceOf: ImgvetError})
    t.is(err?.code, 'registry')
    t.is(err?.exitCode, 3)
    const line = err?.oneLine() ?? ''
    t.false(line.includes('\n'), line)
    t.regex(line, /^registry: pagination loops .*\(127\.0\.0\.1:\d+ referrers of sha256:[0-9a-f]{64}\)$/)
    // Caught on the first link back to a page already read.
    t.is(referrerRequests(reg).length, pages, `pages=${pages}`)
    t.deepEqual(fallbackRequests(reg, img.manifestDigest), [])
  }
})
