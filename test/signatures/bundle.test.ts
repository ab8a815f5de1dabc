import test from 'ava'
import {parsePublicKeyPem, verifyBundle, type IdentityPolicy, type VerifyResult} from '../../src/signatures/index.js'
import * as h from './private-sigstore.js'

const policy: IdentityPolicy = {subject: h.WORKFLOW, issuer: h.GH_ISSUER}
const artifact = Buffer.from('release artifact\n')
const s = await h.privateSigstore()
const signer = await h.keylessSigner(s)
const keyless = await h.messageBundle(s, signer, artifact)

function code(r: VerifyResult): string {
  return r.ok ? 'ok' : r.code
}

test('keyless message bundle verifies over bytes and over the bare digest', (t) => {
  for (const a of [{bytes: artifact}, {digest: h.digestOf(artifact)}]) {
    const r = verifyBundle(keyless, {trustRoot: s.trustRoot, policy: {identity: policy}, artifact: a})
    if (!r.ok) return t.fail(r.message)
    t.is(r.signer.kind, 'keyless')
    t.is(r.signer.identity, h.WORKFLOW)
    t.is(r.signer.issuer, h.GH_ISSUER)
    t.is(r.tlog.length, 1)
    t.is(r.tlog[0]?.kind, 'hashedrekord')
    t.true((r.tlog[0]?.integratedTime ?? 0) > 0)
    t.regex(r.tlog[0]?.logID ?? '', /^[0-9a-f]{64}$/)
    t.is(r.signedDigest, h.digestOf(artifact))
  }
})

test('anchored identity regexp accepts the workflow and its family', (t) => {
  const r = verifyBundle(keyless, {trustRoot: s.trustRoot, policy: {identity: {subjectRegExp: 'https://github\\.com/org/repo/.*', issuerRegExp: 'https://token\\.actions\\..*'}}, artifact: {bytes: artifact}})
  t.true(r.ok)
})

test('wrong identity is rejected and the message names found and expected', (t) => {
  const r = verifyBundle(keyless, {trustRoot: s.trustRoot, policy: {identity: {...policy, subject: 'https://github.com/org/other/.github/workflows/x.yml@refs/heads/main'}}, artifact: {bytes: artifact}})
  t.is(code(r), 'identity-mismatch')
  if (!r.ok) {
    t.true(r.message.includes(h.WORKFLOW))
    t.true(r.message.includes('org/other'))
  }
})

test('wrong issuer is rejected', (t) => {
  const r = verifyBundle(keyless, {trustRoot: s.trustRoot, policy: {identity: {...policy, issuer: 'https://accounts.google.com'}}, artifact: {bytes: artifact}})
  t.is(code(r), 'issuer-mismatch')
  if (!r.ok) t.true(r.message.includes(h.GH_ISSUER))
})

test('an identity that would match only unanchored is rejected (exact and regexp)', async (t) => {
  const evil = await h.keylessSigner(s, `${h.WORKFLOW}-evil`)
  const b = await h.messageBundle(s, evil, artifact)
  t.is(code(verifyBundle(b, {trustRoot: s.trustRoot, policy: {identity: policy}, artifact: {bytes: artifact}})), 'identity-mismatch')
  const re = {subjectRegExp: 'https://github\\.com/org/repo/\\.github/workflows/x\\.yml@refs/heads/main', issuer: h.GH_ISSUER}
  t.is(code(verifyBundle(b, {trustRoot: s.trustRoot, policy: {identity: re}, artifact: {bytes: artifact}})), 'identity-mismatch')
  // An alternation must stay anchored on both branches.
  const alt = {subjectRegExp: 'nothing|https://github\\.com/org/repo/\\.github/workflows/x\\.yml@refs/heads/main', issuer: h.GH_ISSUER}
  t.is(code(verifyBundle(b, {trustRoot: s.trustRoot, policy: {identity: alt}, artifact: {bytes: artifact}})), 'identity-mismatch')
  t.true(verifyBundle(keyless, {trustRoot: s.trustRoot, policy: {identity: alt}, artifact: {bytes: artifact}}).ok)
})

test('tampered artifact and tampered bundle signature are rejected', (t) => {
  const other = Buffer.from('release artifact!\n')
  t.is(code(verifyBundle(keyless, {trustRoot: s.trustRoot, policy: {identity: policy}, artifact: {bytes: other}})), 'digest-mismatch')
  t.is(code(verifyBundle(keyless, {trustRoot: s.trustRoot, policy: {identity: policy}, artifact: {digest: h.digestOf(other)}})), 'digest-mismatch')
  const msg = keyless.messageSignature as {signature: string; messageDigest: unknown}
  const sig = Buffer.from(msg.signature, 'base64')
  sig[sig.length - 3] = (sig[sig.length - 3] ?? 0) ^ 0x01
  const tampered = {...keyless, messageSignature: {...msg, signature: sig.toString('base64')}}
  const r = verifyBundle(tampered, {trustRoot: s.trustRoot, policy: {identity: policy}, artifact: {bytes: artifact}})
  t.false(r.ok)
  t.true(['tlog-invalid', 'signature-invalid'].includes(code(r)))
})

test('a bundle from another deployment does not chain to this trust root', async (t) => {
  const other = await h.privateSigstore()
  const r = verifyBundle(keyless, {trustRoot: other.trustRoot, policy: {identity: policy}, artifact: {bytes: artifact}})
  t.false(r.ok)
  t.true(['cert-invalid', 'tlog-invalid'].includes(code(r)))
})

test('certificate used outside its validity is rejected as cert-expired', async (t) => {
  // CA clock two days behind the log: the 10-minute certificate has expired when the log records the signature.
  const old = await h.privateSigstore({caClock: new Date(Date.now() - 2 * 24 * 3600 * 1000)})
  const expiredSigner = await h.keylessSigner(old)
  const b = await h.messageBundle(old, expiredSigner, artifact)
  const r = verifyBundle(b, {trustRoot: old.trustRoot, policy: {identity: policy}, artifact: {bytes: artifact}})
  t.is(code(r), 'cert-expired')
})

for (const type of ['ec', 'ed25519', 'rsa'] as const) {
  test(`key-based ${type} bundle verifies with its key and not with another`, async (t) => {
    const k = h.keySigner(type)
    const b = await h.messageBundle(s, k, artifact)
    const r = verifyBundle(b, {trustRoot: s.trustRoot, policy: {key: parsePublicKeyPem(h.publicPem(k))}, artifact: {bytes: artifact}})
    t.true(r.ok, r.ok ? '' : r.message)
    if (r.ok) t.is(r.signer.kind, 'key')
    const wrong = parsePublicKeyPem(h.publicPem(h.keySigner(type)))
    t.false(verifyBundle(b, {trustRoot: s.trustRoot, policy: {key: wrong}, artifact: {bytes: artifact}}).ok)
    const byDigest = verifyBundle(b, {trustRoot: s.trustRoot, policy: {key: parsePublicKeyPem(h.publicPem(k))}, artifact: {digest: h.digestOf(artifact)}})
    // Ed25519 signs the message itself: a digest alone cannot verify it, and we say so rather than pass.
    t.is(code(byDigest), type === 'ed25519' ? 'unsupported' : 'ok')
  })
}

test('key policy against a certificate bundle, and identity policy against a key bundle, are refused', async (t) => {
  const k = h.keySigner()
  const keyed = await h.messageBundle(s, k, artifact)
  t.is(code(verifyBundle(keyless, {trustRoot: s.trustRoot, policy: {key: k.keys.publicKey}, artifact: {bytes: artifact}})), 'key-mismatch')
  t.is(code(verifyBundle(keyed, {trustRoot: s.trustRoot, policy: {identity: policy}, artifact: {bytes: artifact}})), 'no-identity')
})

test('DSSE bundle binds to the in-toto subject', async (t) => {
  const image = `sha256:${'ab'.repeat(32)}`
  const b = await h.dsseBundle(s, signer, h.statement('ab'.repeat(32)))
  const r = verifyBundle(b, {trustRoot: s.trustRoot, policy: {identity: policy}, artifact: {digest: image}})
  if (!r.ok) return t.fail(r.message)
  t.is(r.dsse?.payloadType, 'application/vnd.in-toto+json')
  const wrongImage = `sha256:${'cd'.repeat(32)}`
  const m = verifyBundle(b, {trustRoot: s.trustRoot, policy: {identity: policy}, artifact: {digest: wrongImage}})
  t.is(code(m), 'subject-mismatch')
  if (!m.ok) t.true(m.message.includes(image) && m.message.includes(wrongImage))
})

test('DSSE bundle with a non-in-toto payload type is refused', async (t) => {
  const b = await h.dsseBundle(s, signer, h.statement('ab'.repeat(32)), 'text/plain')
  t.is(code(verifyBundle(b, {trustRoot: s.trustRoot, policy: {identity: policy}, artifact: {digest: `sha256:${'ab'.repeat(32)}`}})), 'payload-type')
})

test('DSSE payload swapped after signing is rejected', async (t) => {
  const b = await h.dsseBundle(s, signer, h.statement('ab'.repeat(32)))
  const env = b.dsseEnvelope as {payload: string}
  const forged = {...b, dsseEnvelope: {...env, payload: h.statement('cd'.repeat(32)).toString('base64')}}
  const r = verifyBundle(forged, {trustRoot: s.trustRoot, policy: {identity: policy}, artifact: {digest: `sha256:${'cd'.repeat(32)}`}})
  t.false(r.ok)
  t.true(['tlog-invalid', 'signature-invalid'].includes(code(r)))
})

test('malformed input becomes bad-bundle, not a crash', (t) => {
  for (const junk of [null, 42, 'x', {}, {mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json'}, {...keyless, verificationMaterial: {certificate: {rawBytes: 'AAAA'}, tlogEntries: []}}]) {
    const r = verifyBundle(junk, {trustRoot: s.trustRoot, policy: {identity: policy}, artifact: {bytes: artifact}})
    t.false(r.ok)
  }
  t.is(code(verifyBundle({}, {trustRoot: s.trustRoot, policy: {identity: policy}, artifact: {bytes: artifact}})), 'bad-bundle')
})

test('a bundle without log entries is not accepted', (t) => {
  const vm = keyless.verificationMaterial as Record<string, unknown>
  const r = verifyBundle({...keyless, verificationMaterial: {...vm, tlogEntries: []}}, {trustRoot: s.trustRoot, policy: {identity: policy}, artifact: {bytes: artifact}})
  t.false(r.ok)
})
