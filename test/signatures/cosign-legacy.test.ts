import test from 'ava'
import {parsePublicKeyPem, verifyCosignLegacy, type CosignLegacyResult} from '../../src/signatures/index.js'
import * as h from './private-sigstore.js'

const policy = {identity: {subject: h.WORKFLOW, issuer: h.GH_ISSUER}}
const image = `sha256:${'ee'.repeat(32)}`
const s = await h.privateSigstore()
const signer = await h.keylessSigner(s)
const layer = await h.cosignLayer(s, signer, h.cosignPayload(image))

const code = (r: CosignLegacyResult): string => (r.ok ? 'ok' : r.code)

test('keyless legacy .sig layer built from parts verifies and reports signer, log entry and payload', (t) => {
  const r = verifyCosignLegacy(layer, {trustRoot: s.trustRoot, policy, imageDigest: image})
  if (!r.ok) return t.fail(r.message)
  t.is(r.signer.identity, h.WORKFLOW)
  t.is(r.signer.issuer, h.GH_ISSUER)
  t.is(r.payload.dockerManifestDigest, image)
  t.is(r.payload.dockerReference, 'registry.test/app')
  t.deepEqual(r.payload.optional, {creator: 'test'})
  t.is(r.tlog[0]?.kind, 'hashedrekord')
})

test('signature made for another image digest is rejected as subject-mismatch', (t) => {
  const other = `sha256:${'ff'.repeat(32)}`
  const r = verifyCosignLegacy(layer, {trustRoot: s.trustRoot, policy, imageDigest: other})
  t.is(code(r), 'subject-mismatch')
  if (!r.ok) t.true(r.message.includes(image) && r.message.includes(other))
})

test('tampered payload is rejected', (t) => {
  const forged = {...layer, payload: h.cosignPayload(`sha256:${'ff'.repeat(32)}`)}
  const r = verifyCosignLegacy(forged, {trustRoot: s.trustRoot, policy, imageDigest: `sha256:${'ff'.repeat(32)}`})
  t.false(r.ok)
  t.true(['tlog-invalid', 'signature-invalid', 'digest-mismatch'].includes(code(r)), code(r))
})

test('wrong identity, unanchored-only identity and wrong issuer are rejected', async (t) => {
  t.is(code(verifyCosignLegacy(layer, {trustRoot: s.trustRoot, policy: {identity: {subject: 'https://github.com/org/x', issuer: h.GH_ISSUER}}, imageDigest: image})), 'identity-mismatch')
  t.is(code(verifyCosignLegacy(layer, {trustRoot: s.trustRoot, policy: {identity: {subject: h.WORKFLOW, issuer: 'https://gitlab.com'}}, imageDigest: image})), 'issuer-mismatch')
  const evil = await h.keylessSigner(s, `${h.WORKFLOW}-evil`)
  const evilLayer = await h.cosignLayer(s, evil, h.cosignPayload(image))
  t.is(code(verifyCosignLegacy(evilLayer, {trustRoot: s.trustRoot, policy, imageDigest: image})), 'identity-mismatch')
})

test('no signature annotation is no-signature; missing SET is tlog-missing', async (t) => {
  t.is(code(verifyCosignLegacy({payload: layer.payload, annotations: {}}, {trustRoot: s.trustRoot, policy, imageDigest: image})), 'no-signature')
  const noTlog = await h.cosignLayer(s, signer, h.cosignPayload(image), {tlog: false})
  t.is(code(verifyCosignLegacy(noTlog, {trustRoot: s.trustRoot, policy, imageDigest: image})), 'tlog-missing')
})

test('SET from another log entry (other signer) cannot vouch for this signature', async (t) => {
  const other = await h.keylessSigner(s)
  const otherLayer = await h.cosignLayer(s, other, h.cosignPayload(image))
  const mixed = {payload: layer.payload, annotations: {...layer.annotations, 'dev.sigstore.cosign/bundle': otherLayer.annotations['dev.sigstore.cosign/bundle'] ?? ''}}
  const r = verifyCosignLegacy(mixed, {trustRoot: s.trustRoot, policy, imageDigest: image})
  t.is(code(r), 'tlog-invalid')
})

test('certificate outside its validity at integratedTime is cert-expired', async (t) => {
  const old = await h.privateSigstore({caClock: new Date(Date.now() - 24 * 3600 * 1000)})
  const oldSigner = await h.keylessSigner(old)
  const l = await h.cosignLayer(old, oldSigner, h.cosignPayload(image))
  t.is(code(verifyCosignLegacy(l, {trustRoot: old.trustRoot, policy, imageDigest: image})), 'cert-expired')
})

test('key-signed legacy signature: with SET, without SET only when allowed, wrong key rejected', async (t) => {
  const k = h.keySigner()
  const key = parsePublicKeyPem(h.publicPem(k))
  const withSet = await h.cosignLayer(s, k, h.cosignPayload(image))
  const r = verifyCosignLegacy(withSet, {trustRoot: s.trustRoot, policy: {key}, imageDigest: image})
  t.true(r.ok, r.ok ? '' : r.message)
  const wrong = parsePublicKeyPem(h.publicPem(h.keySigner()))
  t.is(code(verifyCosignLegacy(withSet, {trustRoot: s.trustRoot, policy: {key: wrong}, imageDigest: image})), 'key-mismatch')
  const noSet = await h.cosignLayer(s, k, h.cosignPayload(image), {tlog: false})
  t.is(code(verifyCosignLegacy(noSet, {trustRoot: s.trustRoot, policy: {key}, imageDigest: image})), 'tlog-missing')
  t.true(verifyCosignLegacy(noSet, {trustRoot: s.trustRoot, policy: {key}, imageDigest: image, allowMissingTlog: true}).ok)
  t.is(code(verifyCosignLegacy(noSet, {trustRoot: s.trustRoot, policy: {key: wrong}, imageDigest: image, allowMissingTlog: true})), 'signature-invalid')
})

test('payload that is not a cosign container image signature is payload-type', async (t) => {
  const payload = Buffer.from(JSON.stringify({critical: {image: {'docker-manifest-digest': image}, type: 'something else'}}))
  const l = await h.cosignLayer(s, signer, payload)
  t.is(code(verifyCosignLegacy(l, {trustRoot: s.trustRoot, policy, imageDigest: image})), 'payload-type')
})

test('garbled annotations are coded failures', (t) => {
  const bad = [
    {...layer.annotations, 'dev.cosignproject.cosign/signature': '***'},
    {...layer.annotations, 'dev.sigstore.cosign/bundle': '{"Payload": 1'},
    {...layer.annotations, 'dev.sigstore.cosign/bundle': '{"SignedEntryTimestamp":"x","Payload":{"body":"e30=","integratedTime":-1,"logIndex":1,"logID":"00"}}'},
    {...layer.annotations, 'dev.sigstore.cosign/certificate': 'not a cert'},
  ]
  for (const annotations of bad) {
    const r = verifyCosignLegacy({payload: layer.payload, annotations}, {trustRoot: s.trustRoot, policy, imageDigest: image})
    t.false(r.ok)
  }
})
