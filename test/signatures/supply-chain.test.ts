import test from 'ava'
import {parseReference} from '../../src/reference/reference.js'
import {Registries} from '../../src/registry/client.js'
import {checkSupplyChain, type SupplyChainOverrides} from '../../src/signatures/index.js'
import type {ScopeRequirements} from '../../src/policy/types.js'
import {startRegistry} from '../support/registry.js'
import {makeTempDir} from '../support/tmp.js'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import * as h from './private-sigstore.js'
import {Artifacts, attLayer, slsaV02, slsaV1, statementFor, SLSA_V02, SLSA_V1} from './support.js'

const reg = await startRegistry({mode: 'plain'})
test.after.always(() => reg.stop())
const a = new Artifacts(reg.url)
const s = await h.privateSigstore()
const signer = await h.keylessSigner(s)
const keyed = h.keySigner()
const dir = makeTempDir('verify-lib')
const keyFile = join(dir, 'cosign.pub')
writeFileSync(keyFile, h.publicPem(keyed))
const registries = new Registries({})
test.after.always(() => registries.close())

const identity = {subject: h.WORKFLOW, issuer: h.GH_ISSUER}
const ref = (repo: string, digest: string) => parseReference(`${reg.host}/${repo}@${digest}`)

async function check(repo: string, digest: string, overrides: SupplyChainOverrides, requirements?: ScopeRequirements) {
  return checkSupplyChain({reference: ref(repo, digest), registries, platform: {os: 'linux', architecture: 'amd64'}, overrides, requirements, trustRoot: s.trustRoot})
}

const ids = (fs: {id: string}[]) => fs.map((f) => f.id).sort()

test('legacy .sig keyless: verified, with signer SAN, issuer and log entry', async (t) => {
  const img = await a.push.image('app/keyless', 'v1', 'keyless')
  await a.sig('app/keyless', img.digest, [await h.cosignLayer(s, signer, h.cosignPayload(img.digest))])
  const r = await check('app/keyless', img.digest, {identity})
  t.true(r.summary.verified, r.summary.reasons.join('\n'))
  t.deepEqual(r.findings, [])
  const sig = r.summary.signatures[0]
  t.is(sig?.kind, 'cosign-legacy')
  t.is(sig?.signer?.identity, h.WORKFLOW)
  t.is(sig?.signer?.issuer, h.GH_ISSUER)
  t.regex(sig?.tlog[0]?.logIndex ?? '', /^\d+$/)
  t.true((sig?.tlog[0]?.integratedTime ?? 0) > 0)
  t.regex(sig?.tlog[0]?.logID ?? '', /^[0-9a-f]{64}$/)
  t.deepEqual(r.checked, {signatures: true, provenance: true, official: true})
})

test('legacy .sig with a plain ECDSA key: verified and names the key', async (t) => {
  const img = await a.push.image('app/keyed', 'v1', 'keyed')
  await a.sig('app/keyed', img.digest, [await h.cosignLayer(s, keyed, h.cosignPayload(img.digest))])
  const r = await check('app/keyed', img.digest, {keys: [keyFile]})
  t.true(r.summary.verified, r.summary.reasons.join('\n'))
  t.is(r.summary.signatures[0]?.signer?.kind, 'key')
  t.true(r.summary.signatures[0]?.signer?.label.includes(keyFile))
  // Unlogged key signatures count only when the caller says so.
  const img2 = await a.push.image('app/keyed', 'v2', 'keyed-notlog')
  await a.sig('app/keyed', img2.digest, [await h.cosignLayer(s, keyed, h.cosignPayload(img2.digest), {tlog: false})])
  const strict = await check('app/keyed', img2.digest, {keys: [keyFile]})
  t.false(strict.summary.verified)
  t.is(strict.summary.signatures[0]?.failure?.code, 'tlog-missing')
  t.true((await check('app/keyed', img2.digest, {keys: [keyFile], allowMissingTlog: true})).summary.verified)
})

test('cosign v3 bundle found through the sha256-<hex> tag fallback', async (t) => {
  const img = await a.push.image('app/bundle', 'v1', 'bundle')
  const bundle = await h.dsseBundle(s, signer, statementFor(img.digest, 'https://sigstore.dev/cosign/sign/v1', {}))
  const pushed = await a.bundle('app/bundle', img, bundle)
  await a.notation('app/bundle', img)
  const r = await check('app/bundle', img.digest, {identity})
  t.true(r.summary.verified, r.summary.reasons.join('\n'))
  t.true(r.summary.referrersVia.some((v) => v.endsWith('tag-fallback')))
  const b = r.summary.signatures.find((x) => x.kind === 'bundle')
  t.truthy(b?.location.includes(pushed.digest))
  t.is(b?.signer?.identity, h.WORKFLOW)
  const n = r.summary.signatures.find((x) => x.kind === 'notation')
  t.false(n?.verified)
  t.deepEqual(ids(r.findings), ['signature.notation-unverified'])
})

test('.att with SLSA v1 provenance: signed provenance meets builder and source requirements', async (t) => {
  const img = await a.push.image('app/att', 'v1', 'att')
  const builder = 'https://github.com/actions/runner/github-hosted'
  await a.att('app/att', img.digest, [await attLayer(s, signer, statementFor(img.digest, SLSA_V1, slsaV1(builder)))])
  // The scope names whom to trust without requiring a signature: attestations are checked, a missing .sig is no finding.
  // (A signer flag would require a signature, as `cosign verify` does.)
  const trustOnly = {required: false, identities: [identity]}
  const ok = await check('app/att', img.digest, {}, {signatures: trustOnly, provenance: {required: true, builderIds: ['https://github.com/actions/**'], sourceRepositories: ['https://github.com/org/repo']}})
  t.true(ok.summary.verified, ok.summary.reasons.join('\n'))
  const p = ok.summary.provenance[0]
  t.true(p?.signed)
  t.is(p?.source, 'cosign-attestation')
  t.is(p?.summary.builderId, builder)
  t.is(ok.summary.signatures[0]?.kind, 'attestation')
  t.deepEqual(ok.findings, [])
  const bad = await check('app/att', img.digest, {}, {signatures: trustOnly, provenance: {required: true, builderIds: ['/https://github\\.com/docker-library(/.*)?/']}})
  t.false(bad.summary.verified)
  const f = bad.findings.find((x) => x.id === 'provenance.builder-mismatch')
  t.is(f?.severity, 'high')
  t.true(f?.evidence.includes(builder) && f.evidence.includes('docker-library'))
  const src = await check('app/att', img.digest, {}, {signatures: trustOnly, provenance: {required: true, sourceRepositories: ['https://github.com/other/**']}})
  t.deepEqual(ids(src.findings), ['provenance.source-mismatch'])
})

test('.att signed by another identity is provenance.invalid, not signed provenance', async (t) => {
  const img = await a.push.image('app/att-evil', 'v1', 'att-evil')
  const evil = await h.keylessSigner(s, 'https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main')
  await a.att('app/att-evil', img.digest, [await attLayer(s, evil, statementFor(img.digest, SLSA_V1, slsaV1('https://github.com/actions/runner')))])
  const r = await check('app/att-evil', img.digest, {identity}, {provenance: {required: true}})
  t.false(r.summary.verified)
  t.deepEqual(ids(r.findings), ['provenance.invalid', 'provenance.missing', 'signature.missing'])
  t.true(r.findings.find((f) => f.id === 'provenance.invalid')?.evidence.includes('evil/repo'))
})

test('BuildKit provenance in the index is reported unsigned and counts as present', async (t) => {
  const {index, image} = await a.buildkitIndex('app/buildkit', 'v1', 'buildkit', {type: SLSA_V02, body: slsaV02('https://github.com/org/builder')})
  const r = await check('app/buildkit', index.digest, {}, {provenance: {required: true}})
  t.true(r.summary.verified, r.summary.reasons.join('\n'))
  t.is(r.summary.imageDigest, image.digest)
  t.is(r.summary.indexDigest, index.digest)
  t.is(r.summary.provenance[0]?.source, 'buildkit')
  t.false(r.summary.provenance[0]?.signed)
  t.deepEqual(ids(r.findings), ['provenance.unsigned'])
  t.false(r.summary.official.official, 'a 127.0.0.1 registry is never docker.io/library')
})

test('multi-arch: a signature on the index digest verifies what the user referenced', async (t) => {
  const {index} = await a.buildkitIndex('app/multi', 'v1', 'multi', null)
  await a.sig('app/multi', index.digest, [await h.cosignLayer(s, signer, h.cosignPayload(index.digest))])
  const r = await check('app/multi', index.digest, {identity})
  t.true(r.summary.verified, r.summary.reasons.join('\n'))
  t.is(r.summary.signatures[0]?.target.role, 'index')
})

test('signatures in an alternate repository (COSIGN_REPOSITORY) are found only when named', async (t) => {
  const img = await a.push.image('app/alt', 'v1', 'alt')
  await a.sig('sigs/alt', img.digest, [await h.cosignLayer(s, signer, h.cosignPayload(img.digest))])
  t.false((await check('app/alt', img.digest, {identity})).summary.verified)
  const r = await check('app/alt', img.digest, {identity, signatureRepository: 'sigs/alt'})
  t.true(r.summary.verified, r.summary.reasons.join('\n'))
  t.true(r.summary.signatures[0]?.location.includes('/sigs/alt:'))
  // The policy's signatures.repository does the same.
  const p = await check('app/alt', img.digest, {}, {signatures: {required: true, identities: [{issuer: h.GH_ISSUER, subject: h.WORKFLOW}], repository: 'sigs/alt'}})
  t.true(p.summary.verified, p.summary.reasons.join('\n'))
})

test('no signature at all: signature.missing says where it looked and what it expected', async (t) => {
  const img = await a.push.image('app/none', 'v1', 'none')
  const r = await check('app/none', img.digest, {identity})
  t.false(r.summary.verified)
  const f = r.findings.find((x) => x.id === 'signature.missing')
  // Asked for by a flag: critical, so no failOn lets it through; asked for by a scope: high, judged by its failOn.
  t.is(f?.severity, 'critical')
  t.is(f?.category, 'signature')
  t.is(f?.rule, 'trust-external')
  t.true(f?.evidence.includes(`${img.digest.replace(':', '-')}.sig`))
  t.true(f?.evidence.includes(h.WORKFLOW))
  t.true(f?.evidence.includes('required by the signer flags'))
  const byScope = await check('app/none', img.digest, {}, {signatures: {required: true, identities: [identity]}})
  t.deepEqual(byScope.findings.map((x) => [x.id, x.severity]), [['signature.missing', 'high']])
  // A flag requires the signature even where the scope says signatures are not required (the default preset).
  const lax = await check('app/none', img.digest, {identity}, {signatures: {required: false}})
  t.deepEqual(lax.findings.map((x) => [x.id, x.severity]), [['signature.missing', 'critical']])
  t.false(lax.summary.verified)
})

test('wrong identity, wrong issuer and an identity matching only unanchored are identity mismatches naming the SAN found', async (t) => {
  const img = await a.push.image('app/who', 'v1', 'who')
  const evil = await h.keylessSigner(s, `${h.WORKFLOW}-evil`)
  await a.sig('app/who', img.digest, [await h.cosignLayer(s, signer, h.cosignPayload(img.digest))])
  const wrongId = await check('app/who', img.digest, {identity: {subject: 'https://github.com/org/other/.github/workflows/x.yml@refs/heads/main', issuer: h.GH_ISSUER}})
  const f1 = wrongId.findings.find((x) => x.id === 'signature.identity-mismatch')
  t.true(f1?.evidence.includes(h.WORKFLOW), f1?.evidence)
  const wrongIssuer = await check('app/who', img.digest, {identity: {subject: h.WORKFLOW, issuer: 'https://gitlab.com'}})
  t.regex(wrongIssuer.findings.find((x) => x.id === 'signature.identity-mismatch')?.evidence ?? '', /issuer-mismatch.*token\.actions/)
  const img2 = await a.push.image('app/who', 'v2', 'who-evil')
  await a.sig('app/who', img2.digest, [await h.cosignLayer(s, evil, h.cosignPayload(img2.digest))])
  const unanchored = await check('app/who', img2.digest, {identity: {subjectRegExp: 'https://github\\.com/org/repo/\\.github/workflows/x\\.yml@refs/heads/main', issuer: h.GH_ISSUER}})
  t.false(unanchored.summary.verified)
  t.deepEqual(ids(unanchored.findings), ['signature.identity-mismatch'])
})

test('tampered payload, signature for another digest, certificate outside validity: signature.invalid with the code', async (t) => {
  const img = await a.push.image('app/bad', 'v1', 'bad')
  const other = await a.push.image('app/bad', 'v2', 'bad-other')
  const good = await h.cosignLayer(s, signer, h.cosignPayload(img.digest))
  const tampered = {payload: Buffer.from(good.payload.toString('utf8').replace('"creator":"test"', '"creator":"mallory"')), annotations: good.annotations}
  await a.sig('app/bad', img.digest, [tampered])
  const r1 = await check('app/bad', img.digest, {identity})
  t.false(r1.summary.verified)
  t.deepEqual(ids(r1.findings), ['signature.invalid'])
  t.regex(r1.summary.signatures[0]?.failure?.code ?? '', /tlog-invalid|signature-invalid|digest-mismatch/)
  // A valid signature for another image, copied under this image's tag.
  await a.sig('app/bad', other.digest, [await h.cosignLayer(s, signer, h.cosignPayload(img.digest))])
  const r2 = await check('app/bad', other.digest, {identity})
  t.is(r2.summary.signatures[0]?.failure?.code, 'subject-mismatch')
  t.true(r2.findings[0]?.evidence.includes(img.digest))
  // A scope that trusts this signer but does not require a signature still fails the copy: it is a tampering signal.
  const lax = {signatures: {required: false, identities: [identity]}}
  const copied = await check('app/bad', other.digest, {}, lax)
  t.deepEqual(copied.findings.map((f) => [f.id, f.severity]), [['signature.invalid', 'high']])
  t.deepEqual((await check('app/bad', img.digest, {}, lax)).findings.map((f) => [f.id, f.severity]), [['signature.invalid', 'high']])
  const old = await h.privateSigstore({caClock: new Date(Date.now() - 24 * 3600 * 1000)})
  const oldSigner = await h.keylessSigner(old)
  const img3 = await a.push.image('app/bad', 'v3', 'bad-expired')
  await a.sig('app/bad', img3.digest, [await h.cosignLayer(old, oldSigner, h.cosignPayload(img3.digest))])
  const r3 = await checkSupplyChain({reference: ref('app/bad', img3.digest), registries, platform: {os: 'linux', architecture: 'amd64'}, overrides: {identity}, trustRoot: old.trustRoot})
  t.is(r3.summary.signatures[0]?.failure?.code, 'cert-expired')
  t.deepEqual(ids(r3.findings), ['signature.invalid'])
  // An expired certificate is not tampering: reported, and left to a scope that requires signatures.
  const r4 = await checkSupplyChain({reference: ref('app/bad', img3.digest), registries, platform: {os: 'linux', architecture: 'amd64'},
    requirements: {signatures: {required: false, identities: [identity]}}, trustRoot: old.trustRoot})
  t.deepEqual(r4.findings.map((f) => [f.id, f.severity]), [['signature.invalid', 'low']])
})

test('a bundle whose statement names another image is not accepted for this one', async (t) => {
  const img = await a.push.image('app/bundle-other', 'v1', 'bo')
  const bundle = await h.dsseBundle(s, signer, statementFor(`sha256:${'ab'.repeat(32)}`, 'https://sigstore.dev/cosign/sign/v1', {}))
  await a.bundle('app/bundle-other', img, bundle)
  const r = await check('app/bundle-other', img.digest, {identity})
  t.false(r.summary.verified)
  t.is(r.summary.signatures[0]?.failure?.code, 'subject-mismatch')
})
