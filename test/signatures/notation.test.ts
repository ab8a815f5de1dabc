import test from 'ava'
import {X509Certificate} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {
  loadTrustStore,
  parseDn,
  parseTrustedIdentities,
  parseTrustedIdentity,
  verifyNotation,
  type NotationResult,
  type NotationTrust,
} from '../../src/signatures/notation.js'
import {makeTempDir} from '../support/tmp.js'
import {CA_EXT, issue, notationJws, rfc3339, rootCa} from './notation-pki.js'

const dir = makeTempDir('notation-unit')
const ROOT_DN = '/C=US/ST=WA/O=Acme/CN=Acme Root'
const LEAF_DN = '/C=US/ST=WA/L=Seattle/O=Acme/CN=Release'
const ID = 'x509.subject: C=US, ST=WA, O=Acme, CN=Release'
const ca = rootCa(dir, ROOT_DN)
const leaf = issue(dir, ca, LEAF_DN)
const rsaCa = rootCa(dir, '/C=US/ST=WA/O=Acme/CN=Acme RSA Root', 'rsa2048')
const rsaLeaf = issue(dir, rsaCa, LEAF_DN, {kind: 'rsa2048'})
const otherCa = rootCa(dir, '/C=US/ST=WA/O=Mallory/CN=Other Root')
const digest = `sha256:${'a'.repeat(64)}`
const other = `sha256:${'b'.repeat(64)}`

async function trust(files: string[], ids = [ID]): Promise<NotationTrust> {
  return {store: await loadTrustStore(files), identities: parseTrustedIdentities(ids), label: 'test'}
}
const code = (r: NotationResult) => (r.ok ? 'ok' : r.code)
const acme = await trust([ca.certFile, rsaCa.certFile])

test('a valid ES256 signature verifies and names the signer and the trust-store certificate', (t) => {
  const r = verifyNotation(notationJws(leaf, [leaf, ca], digest), {trust: acme, imageDigest: digest})
  if (!r.ok) return t.fail(`${r.code}: ${r.message}`)
  t.is(r.alg, 'ES256')
  t.is(r.subject, 'C=US, ST=WA, L=Seattle, O=Acme, CN=Release')
  t.is(r.anchor.subject, 'C=US, ST=WA, O=Acme, CN=Acme Root')
  t.is(r.anchor.file, ca.certFile)
  t.regex(r.anchor.sha256, /^[0-9a-f]{64}$/)
})

test('a valid PS256 signature (RSA 2048, PSS) verifies', (t) => {
  const r = verifyNotation(notationJws(rsaLeaf, [rsaLeaf, rsaCa], digest), {trust: acme, imageDigest: digest})
  t.is(code(r), 'ok', r.ok ? '' : r.message)
})

test('a chain through an intermediate verifies against the root alone', (t) => {
  const mid = issue(dir, ca, '/C=US/ST=WA/O=Acme/CN=Acme Signing CA', {ext: CA_EXT})
  const l = issue(dir, mid, LEAF_DN)
  t.is(code(verifyNotation(notationJws(l, [l, mid, ca], digest), {trust: acme, imageDigest: digest})), 'ok')
  // An incomplete chain (no root) is refused even though the leaf is genuine.
  t.is(code(verifyNotation(notationJws(l, [l, mid], digest), {trust: acme, imageDigest: digest})), 'cert-invalid')
})

test('a chain to a root the trust store does not hold is cert-invalid and names the store', async (t) => {
  const r = verifyNotation(notationJws(leaf, [leaf, ca], digest), {trust: await trust([otherCa.certFile]), imageDigest: digest})
  t.is(code(r), 'cert-invalid')
  t.true(!r.ok && r.message.includes(otherCa.certFile) && r.message.includes('Acme Root'))
})

test('a signer outside the trusted identities is identity-mismatch and says who signed', async (t) => {
  const r = verifyNotation(notationJws(leaf, [leaf, ca], digest), {trust: await trust([ca.certFile], ['x509.subject: C=US, ST=WA, O=Acme, CN=Nightly']), imageDigest: digest})
  t.is(code(r), 'identity-mismatch')
  t.true(!r.ok && r.message.includes('CN=Release') && r.message.includes('CN=Nightly'))
  // Notation matches a partial DN: every attribute named must be equal, unnamed ones are free.
  t.is(code(verifyNotation(notationJws(leaf, [leaf, ca], digest), {trust: await trust([ca.certFile], ['x509.subject: O=Acme, ST=WA, C=US']), imageDigest: digest})), 'ok')
  t.is(code(verifyNotation(notationJws(leaf, [leaf, ca], digest), {trust: await trust([ca.certFile], ['*']), imageDigest: digest})), 'ok')
})

test('a tampered payload is signature-invalid', (t) => {
  const env = JSON.parse(notationJws(leaf, [leaf, ca], digest).toString()) as {payload: string}
  env.payload = Buffer.from(JSON.stringify({targetArtifact: {mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: other, size: 1}})).toString('base64url')
  t.is(code(verifyNotation(Buffer.from(JSON.stringify(env)), {trust: acme, imageDigest: other})), 'signature-invalid')
})

test('a genuine signature of another image is digest-mismatch', (t) => {
  const r = verifyNotation(notationJws(leaf, [leaf, ca], other), {trust: acme, imageDigest: digest})
  t.is(code(r), 'digest-mismatch')
  t.true(!r.ok && r.message.includes(other))
})

test('a leaf whose extended key usage is not code signing, or that lacks digitalSignature, is cert-invalid', (t) => {
  const tls = issue(dir, ca, LEAF_DN, {ext: ['basicConstraints=CA:false', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth']})
  const r = verifyNotation(notationJws(tls, [tls, ca], digest), {trust: acme, imageDigest: digest})
  t.is(code(r), 'cert-invalid')
  t.true(!r.ok && r.message.includes('1.3.6.1.5.5.7.3.1'))
  const noDs = issue(dir, ca, LEAF_DN, {ext: ['basicConstraints=CA:false', 'keyUsage=critical,nonRepudiation', 'extendedKeyUsage=codeSigning']})
  t.is(code(verifyNotation(notationJws(noDs, [noDs, ca], digest), {trust: acme, imageDigest: digest})), 'cert-invalid')
})

test('a signing time outside the certificates\' validity is timestamp-invalid; a chain expired by now is cert-expired', (t) => {
  const old = notationJws(leaf, [leaf, ca], digest, {protected: {'io.cncf.notary.signingTime': '2001-01-01T00:00:00Z'}})
  const r = verifyNotation(old, {trust: acme, imageDigest: digest})
  t.is(code(r), 'timestamp-invalid')
  t.true(!r.ok && r.message.includes('2001-01-01'))
  const later = new Date(Date.now() + 400 * 86400_000)
  t.is(code(verifyNotation(notationJws(leaf, [leaf, ca], digest), {trust: acme, imageDigest: digest, now: later})), 'cert-expired')
})

test('a signature past io.cncf.notary.expiry is signature-expired; expiry must be critical', (t) => {
  const past = rfc3339(new Date(Date.now() - 60_000))
  const crit = ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry']
  const r = verifyNotation(notationJws(leaf, [leaf, ca], digest, {protected: {'io.cncf.notary.expiry': past, crit}}), {trust: acme, imageDigest: digest})
  t.is(code(r), 'signature-expired')
  const future = rfc3339(new Date(Date.now() + 86400_000))
  t.is(code(verifyNotation(notationJws(leaf, [leaf, ca], digest, {protected: {'io.cncf.notary.expiry': future, crit}}), {trust: acme, imageDigest: digest})), 'ok')
  t.is(code(verifyNotation(notationJws(leaf, [leaf, ca], digest, {protected: {'io.cncf.notary.expiry': future}}), {trust: acme, imageDigest: digest})), 'bad-bundle')
})

test('an unknown critical header, the signingAuthority scheme and a foreign content type are refused', (t) => {
  const plugin = {'io.cncf.notary.verificationPlugin': 'com.example.plugin', crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.verificationPlugin']}
  const r = verifyNotation(notationJws(leaf, [leaf, ca], digest, {protected: plugin}), {trust: acme, imageDigest: digest})
  t.is(code(r), 'unsupported')
  t.true(!r.ok && r.message.includes('io.cncf.notary.verificationPlugin'))
  const sa = {'io.cncf.notary.signingScheme': 'notary.x509.signingAuthority', 'io.cncf.notary.authenticSigningTime': rfc3339(new Date()),
    crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.authenticSigningTime']}
  t.is(code(verifyNotation(notationJws(leaf, [leaf, ca], digest, {protected: sa}), {trust: acme, imageDigest: digest})), 'unsupported')
  t.is(code(verifyNotation(notationJws(leaf, [leaf, ca], digest, {protected: {cty: 'application/json'}}), {trust: acme, imageDigest: digest})), 'payload-type')
  t.is(code(verifyNotation(notationJws(leaf, [leaf, ca], digest, {protected: {crit: undefined}}), {trust: acme, imageDigest: digest})), 'bad-bundle')
})

test('alg must match the signing key: ES384 over a P-256 key is key-mismatch', (t) => {
  const env = JSON.parse(notationJws(leaf, [leaf, ca], digest).toString()) as {protected: string}
  const h = JSON.parse(Buffer.from(env.protected, 'base64url').toString()) as Record<string, unknown>
  env.protected = Buffer.from(JSON.stringify({...h, alg: 'ES384'})).toString('base64url')
  t.is(code(verifyNotation(Buffer.from(JSON.stringify(env)), {trust: acme, imageDigest: digest})), 'key-mismatch')
  t.is(code(verifyNotation(Buffer.from('{"payload":"e30"}'), {trust: acme, imageDigest: digest})), 'bad-bundle')
  t.is(code(verifyNotation(Buffer.from('not json'), {trust: acme, imageDigest: digest})), 'bad-bundle')
})

test('trusted identities: RFC 4514 parsing, C/ST/O required, no overlaps; certificate subjects compare attribute by attribute', (t) => {
  t.deepEqual([...parseDn('C=US, ST=WA, O=Acme\\, Inc., CN= Release ')], [['C', 'US'], ['ST', 'WA'], ['O', 'Acme, Inc.'], ['CN', 'Release']])
  t.throws(() => parseDn('C=US, C=CA'), {message: /C appears twice/})
  t.throws(() => parseTrustedIdentity('x509.subject: C=US, O=Acme, CN=Release'), {message: /lacks ST/})
  t.throws(() => parseTrustedIdentity('subject: C=US'), {message: /x509\.subject/})
  t.throws(() => parseTrustedIdentities(['x509.subject: C=US, ST=WA, O=Acme', 'x509.subject: C=US, ST=WA, O=Acme, CN=Release']), {message: /overlaps/})
  const comma = issue(dir, ca, '/C=US/ST=WA/O=Acme, Inc./CN=Release')
  const n = new X509Certificate(comma.certPem)
  t.is(n.subject.split('\n')[2], 'O=Acme\\, Inc.')
  const ok = verifyNotation(notationJws(comma, [comma, ca], digest), {trust: {store: acme.store, identities: parseTrustedIdentities(['x509.subject: C=US, ST=WA, O=Acme\\, Inc.']), label: ''}, imageDigest: digest})
  t.is(code(ok), 'ok')
})

test('a trust store file without a certificate is a usage error naming the file', async (t) => {
  const f = join(dir, 'empty.pem')
  writeFileSync(f, 'nothing here\n')
  const e = await t.throwsAsync(loadTrustStore([f]))
  t.is((e as {code?: string}).code, 'bad-input')
  t.true(e?.message.includes('no PEM certificate'))
})
