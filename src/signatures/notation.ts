import {createHash, verify as cryptoVerify, constants, X509Certificate, type KeyObject} from 'node:crypto'
import {isObject} from '../json.js'
import {readFile} from 'node:fs/promises'
import {X509Certificate as Asn1Cert} from '@sigstore/core'
import {ImgvetError} from '../errors.js'
import {fail, isSigFailure, type NotVerified} from './failure.js'

/**
 * Notary Project (Notation) signatures in the JWS envelope, verified as the Notary Project specifications
 * (signature-envelope-jws, signature-specification, trust-store-trust-policy) describe for signing scheme
 * `notary.x509` without a timestamp countersignature. Each step is small and pure and fails with one SigFailure.
 */

export const NOTATION_JWS_MEDIA_TYPE = 'application/jose+json'
export const NOTATION_COSE_MEDIA_TYPE = 'application/cose'
const NOTATION_PAYLOAD_TYPE = 'application/vnd.cncf.notary.payload.v1+json'
const SCHEME = 'io.cncf.notary.signingScheme'
const SIGNING_TIME = 'io.cncf.notary.signingTime'
const EXPIRY = 'io.cncf.notary.expiry'
const AUTHENTIC_TIME = 'io.cncf.notary.authenticSigningTime'
/** The critical headers this verifier processes; plugin headers and anything newer are refused, as the spec asks. */
const UNDERSTOOD_CRIT = new Set([SCHEME, EXPIRY, AUTHENTIC_TIME])
const CODE_SIGNING = '1.3.6.1.5.5.7.3.3'
/** anyExtendedKeyUsage, serverAuth, clientAuth, emailProtection, timeStamping: forbidden on a signing certificate. */
const FORBIDDEN_EKU = ['2.5.29.37.0', '1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.4', '1.3.6.1.5.5.7.3.8']
/** The spec ties `alg` to the signing key (curve, or RSA modulus size) to stop algorithm substitution. */
const ALGS: Record<string, {hash: string; key: string}> = {
  PS256: {hash: 'sha256', key: 'rsa-2048'}, PS384: {hash: 'sha384', key: 'rsa-3072'}, PS512: {hash: 'sha512', key: 'rsa-4096'},
  ES256: {hash: 'sha256', key: 'ec-prime256v1'}, ES384: {hash: 'sha384', key: 'ec-secp384r1'}, ES512: {hash: 'sha512', key: 'ec-secp521r1'},
}

interface TrustedCert {cert: X509Certificate; file: string}
/** `x509.subject: C=US, ST=WA, O=Acme` parsed to its attributes, or `*` (any signer chaining to the store). */
interface TrustedIdentity {raw: string; dn: Map<string, string> | '*'}
export interface NotationTrust {store: TrustedCert[]; identities: TrustedIdentity[]; label: string}

interface NotationVerified {
  ok: true
  /** The leaf certificate's subject DN, `C=US, ST=WA, O=Acme, CN=Release`. */
  subject: string
  /** The trust-store certificate the x5c chain contains. */
  anchor: {subject: string; file: string; sha256: string}
  signingTime: Date
  expiry?: Date
  alg: string
}
export type NotationResult = NotationVerified | NotVerified

interface Envelope {payload: string; protected: string; signature: Buffer; x5c: X509Certificate[]}
interface Protected {alg: string; signingTime: Date; expiry?: Date}

const B64URL = /^[A-Za-z0-9_-]+$/

/** Only the flattened JWS JSON serialization, with nothing beside its four members. */
function parseEnvelope(bytes: Buffer): Envelope {
  let j: unknown
  try {
    j = JSON.parse(bytes.toString('utf8'))
  } catch {
    fail('bad-bundle', 'JWS envelope is not JSON')
  }
  if (!isObject(j)) fail('bad-bundle', 'JWS envelope is not an object')
  const extra = Object.keys(j).filter((k) => !['payload', 'protected', 'header', 'signature'].includes(k))
  if (extra.length) fail('bad-bundle', `JWS envelope has unsupported members ${extra.join(', ')} (only flattened JSON serialization)`)
  const {payload, protected: prot, header, signature} = j
  for (const [k, v] of [['payload', payload], ['protected', prot], ['signature', signature]] as const) {
    if (typeof v !== 'string' || !B64URL.test(v)) fail('bad-bundle', `JWS ${k} is not base64url`)
  }
  const x5c = isObject(header) ? header.x5c : undefined
  if (!Array.isArray(x5c) || x5c.length === 0) fail('bad-bundle', 'JWS header.x5c (the certificate chain) is missing')
  const certs = x5c.map((c, i) => {
    try {
      if (typeof c !== 'string') throw new Error('not a string')
      return new X509Certificate(Buffer.from(c, 'base64'))
    } catch {
      return fail('bad-bundle', `x5c[${i}] is not a DER certificate`)
    }
  })
  return {payload: payload as string, protected: prot as string, signature: Buffer.from(signature as string, 'base64url'), x5c: certs}
}

function rfc3339(v: unknown, name: string): Date {
  const d = typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(v) ? new Date(v) : undefined
  if (!d || Number.isNaN(d.getTime())) fail('bad-bundle', `protected header ${name} is not an RFC 3339 time`)
  return d
}

/** The protected header: algorithm, content type, every critical header understood, scheme notary.x509. */
function parseProtected(b64: string): Protected {
  let h: unknown
  try {
    h = JSON.parse(Buffer.from(b64, 'base64url').toString('utf8'))
  } catch {
    fail('bad-bundle', 'JWS protected header is not JSON')
  }
  if (!isObject(h)) fail('bad-bundle', 'JWS protected header is not an object')
  if (typeof h.alg !== 'string' || !ALGS[h.alg]) fail('unsupported', `signature algorithm ${String(h.alg)} is not one of ${Object.keys(ALGS).join(', ')}`)
  if (h.cty !== NOTATION_PAYLOAD_TYPE) fail('payload-type', `content type ${String(h.cty)}, expected ${NOTATION_PAYLOAD_TYPE}`)
  const crit = h.crit
  if (!Array.isArray(crit) || crit.length === 0 || !crit.every((c) => typeof c === 'string')) fail('bad-bundle', 'protected header crit is missing or not a list of names')
  for (const c of crit as string[]) {
    if (!UNDERSTOOD_CRIT.has(c)) fail('unsupported', `critical header ${c} is not understood (Notation plugins are not supported)`)
    if (!(c in h)) fail('bad-bundle', `critical header ${c} is listed in crit but absent`)
  }
  if (!crit.includes(SCHEME)) fail('bad-bundle', `${SCHEME} must be marked critical`)
  if (EXPIRY in h && !crit.includes(EXPIRY)) fail('bad-bundle', `${EXPIRY} must be marked critical`)
  if (h[SCHEME] === 'notary.x509.signingAuthority') fail('unsupported', 'signing scheme notary.x509.signingAuthority needs a signing authority trust store, which imgvet does not support')
  if (h[SCHEME] !== 'notary.x509') fail('unsupported', `signing scheme ${String(h[SCHEME])} is not notary.x509`)
  return {alg: h.alg, signingTime: rfc3339(h[SIGNING_TIME], SIGNING_TIME), expiry: EXPIRY in h ? rfc3339(h[EXPIRY], EXPIRY) : undefined}
}

function keySpec(key: KeyObject): string {
  const d = key.asymmetricKeyDetails
  if (key.asymmetricKeyType === 'ec') return `ec-${d?.namedCurve ?? '?'}`
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') return `rsa-${d?.modulusLength ?? '?'}`
  return key.asymmetricKeyType ?? '?'
}

/** Integrity: the leaf key signed ASCII(protected '.' payload) with exactly the algorithm its key calls for. */
function checkSignature(env: Envelope, alg: string): void {
  const want = ALGS[alg]
  const leaf = env.x5c[0] as X509Certificate
  const spec = keySpec(leaf.publicKey)
  if (!want || want.key !== spec) fail('key-mismatch', `alg ${alg} does not match the signing key (${spec})`)
  const data = Buffer.from(`${env.protected}.${env.payload}`, 'ascii')
  const key = spec.startsWith('rsa')
    ? {key: leaf.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: createHash(want.hash).digest().length}
    : {key: leaf.publicKey, dsaEncoding: 'ieee-p1363' as const}
  if (!cryptoVerify(want.hash, data, key, env.signature)) fail('signature-invalid', 'JWS signature does not verify with the x5c leaf key')
}

/** The payload names the artifact it signs; it must be this image. */
function checkPayload(b64: string, imageDigest: string): void {
  let p: unknown
  try {
    p = JSON.parse(Buffer.from(b64, 'base64url').toString('utf8'))
  } catch {
    fail('bad-payload', 'JWS payload is not JSON')
  }
  const t = isObject(p) ? p.targetArtifact : undefined
  if (!isObject(t) || typeof t.digest !== 'string' || typeof t.mediaType !== 'string' || typeof t.size !== 'number') {
    fail('bad-payload', 'JWS payload has no targetArtifact {mediaType, digest, size}')
  }
  if (t.digest !== imageDigest) fail('digest-mismatch', `signature is for ${t.digest}, not ${imageDigest}`)
}

/** Certificate requirements: an ordered chain ending in a root, CA certificates that may sign, a code-signing leaf. */
function checkChain(x5c: readonly X509Certificate[]): void {
  for (const [i, c] of x5c.entries()) {
    const issuer = x5c[i + 1] ?? c
    if (!c.checkIssued(issuer) || !c.verify(issuer.publicKey)) {
      fail('cert-invalid', i + 1 < x5c.length ? `x5c[${i}] is not issued by x5c[${i + 1}]` : `x5c[${i}] is not a self-signed root: the chain is incomplete`)
    }
    const a = Asn1Cert.parse(c.raw)
    if (i > 0 && (!a.isCA || !a.extKeyUsage?.keyCertSign)) fail('cert-invalid', `x5c[${i}] (${dn(c)}) is not a CA certificate allowed to sign certificates`)
  }
  const leaf = x5c[0] as X509Certificate
  const a = Asn1Cert.parse(leaf.raw)
  if (x5c.length > 1 && a.isCA) fail('cert-invalid', 'the signing certificate is a CA certificate')
  if (!a.extKeyUsage?.digitalSignature || a.extKeyUsage.keyCertSign || a.extKeyUsage.crlSign) fail('cert-invalid', 'the signing certificate lacks key usage digitalSignature alone')
  // Optional in the spec; when present it must say code signing and nothing that makes it a TLS or mail certificate.
  const eku = leaf.keyUsage
  if (eku && (!eku.includes(CODE_SIGNING) || eku.some((o) => FORBIDDEN_EKU.includes(o)))) {
    fail('cert-invalid', `the signing certificate's extended key usage (${eku.join(', ')}) is not code signing`)
  }
}

/** Authenticity: Notation trusts a chain that contains one of the trust store's certificates, byte for byte. */
function findAnchor(x5c: readonly X509Certificate[], store: readonly TrustedCert[]): TrustedCert {
  const hit = store.find((t) => x5c.some((c) => c.raw.equals(t.cert.raw)))
  if (!hit) fail('cert-invalid', `certificate chain (root ${dn(x5c[x5c.length - 1] as X509Certificate)}) contains no certificate of the trust store (${[...new Set(store.map((t) => t.file))].join(', ')})`)
  return hit
}

/** Without a timestamp countersignature every certificate must be valid both at signing time and now. */
function checkValidity(x5c: readonly X509Certificate[], signingTime: Date, now: Date, expiry?: Date): void {
  for (const c of x5c) {
    const a = Asn1Cert.parse(c.raw)
    if (!a.validForDate(signingTime)) fail('timestamp-invalid', `signing time ${signingTime.toISOString()} is outside the validity of ${dn(c)} (${a.notBefore.toISOString()} to ${a.notAfter.toISOString()})`)
    if (!a.validForDate(now)) fail('cert-expired', `${dn(c)} is not valid now (${a.notBefore.toISOString()} to ${a.notAfter.toISOString()}) and the signature has no timestamp`)
  }
  if (expiry && now.getTime() >= expiry.getTime()) fail('signature-expired', `signature expired at ${expiry.toISOString()}`)
}

function checkIdentity(leaf: X509Certificate, identities: readonly TrustedIdentity[]): void {
  const subject = parseDn(leaf.subject.split('\n').join(','))
  if (identities.some((id) => id.dn === '*' || isSubset(id.dn, subject))) return
  fail('identity-mismatch', `signed by ${dn(leaf)}, expected ${identities.map((i) => i.raw).join(' or ')}`)
}

/** The whole pipeline for one `application/jose+json` layer. Never throws for a bad signature. */
export function verifyNotation(bytes: Buffer, o: {trust: NotationTrust; imageDigest: string; now?: Date}): NotationResult {
  try {
    const env = parseEnvelope(bytes)
    const prot = parseProtected(env.protected)
    checkSignature(env, prot.alg)
    checkPayload(env.payload, o.imageDigest)
    checkChain(env.x5c)
    const anchor = findAnchor(env.x5c, o.trust.store)
    const leaf = env.x5c[0] as X509Certificate
    checkIdentity(leaf, o.trust.identities)
    checkValidity(env.x5c, prot.signingTime, o.now ?? new Date(), prot.expiry)
    const sha256 = createHash('sha256').update(anchor.cert.raw).digest('hex')
    return {ok: true, subject: dn(leaf), anchor: {subject: dn(anchor.cert), file: anchor.file, sha256}, signingTime: prot.signingTime, expiry: prot.expiry, alg: prot.alg}
  } catch (e) {
    if (isSigFailure(e)) return {ok: false, code: e.code, message: e.message}
    throw e
  }
}

/** node prints a DN one RDN per line, RFC 2253-escaped; reports use the one-line form trust policies are written in. */
function dn(c: X509Certificate): string {
  return c.subject.split('\n').join(', ')
}

/** Every attribute of the trusted identity is in the subject with the same value (Notation's IsSubsetDN). */
function isSubset(want: Map<string, string>, have: Map<string, string>): boolean {
  return [...want].every(([k, v]) => have.get(k) === v)
}

/** RFC 4514 DN to attribute -> value; a repeated attribute is refused, as Notation does. Throws Error on bad input. */
export function parseDn(s: string): Map<string, string> {
  const out = new Map<string, string>()
  let type = ''
  let value = ''
  let inValue = false
  let trailing = 0 // unescaped spaces at the end of the value, which RFC 4514 drops
  const flush = () => {
    const k = type.trim().toUpperCase()
    const v = value.slice(0, value.length - trailing).replace(/^ +/, '')
    if (!inValue || !k) throw new Error(`"${type.trim() || value}" is not TYPE=value`)
    if (out.has(k)) throw new Error(`attribute ${k} appears twice`)
    out.set(k, v)
    type = value = ''
    inValue = false
    trailing = 0
  }
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string
    if (ch === '\\') {
      const hex = /^[0-9a-fA-F]{2}/.exec(s.slice(i + 1))
      const lit = hex ? String.fromCharCode(parseInt(hex[0], 16)) : s[i + 1]
      if (lit === undefined) throw new Error('DN ends in a lone backslash')
      if (inValue) value += lit
      else type += lit
      i += hex ? 2 : 1
      trailing = 0
    } else if (ch === ',' || ch === ';' || ch === '+') flush()
    else if (ch === '=' && !inValue) inValue = true
    else if (inValue) {
      value += ch
      trailing = ch === ' ' ? trailing + 1 : 0
    } else type += ch
  }
  flush()
  return out
}

/** A trusted identity as written in a policy or on the command line; throws Error with the reason. */
export function parseTrustedIdentity(raw: string): TrustedIdentity {
  if (raw.trim() === '*') return {raw: '*', dn: '*'}
  const m = /^x509\.subject:(.*)$/.exec(raw.trim())
  if (!m) throw new Error(`"${raw}" is not "x509.subject: C=.., ST=.., O=.." or "*"`)
  const parsed = parseDn(m[1] as string)
  // The trust-store-trust-policy spec makes these three mandatory, so an identity cannot name a whole country.
  const missing = ['C', 'ST', 'O'].filter((k) => !parsed.get(k))
  if (missing.length) throw new Error(`"${raw}" lacks ${missing.join(', ')} (Notation requires C, ST and O)`)
  return {raw: raw.trim(), dn: parsed}
}

/** Notation refuses a policy whose identities overlap (one certificate could match two); so does imgvet. */
export function parseTrustedIdentities(raws: readonly string[]): TrustedIdentity[] {
  const ids = raws.map(parseTrustedIdentity)
  if (ids.length > 1 && ids.some((i) => i.dn === '*')) throw new Error('"*" cannot be combined with other identities')
  for (const a of ids) {
    for (const b of ids) {
      if (a !== b && a.dn !== '*' && b.dn !== '*' && isSubset(a.dn, b.dn)) throw new Error(`"${a.raw}" overlaps "${b.raw}"`)
    }
  }
  return ids
}

/** PEM files of trusted certificates (several per file allowed). Unreadable or empty files are usage errors. */
export async function loadTrustStore(files: readonly string[]): Promise<TrustedCert[]> {
  const out: TrustedCert[] = []
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch((e: unknown) => {
      throw new ImgvetError('bad-input', `cannot read Notation trust store: ${e instanceof Error ? e.message : String(e)}`, file)
    })
    const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
    if (blocks.length === 0) throw new ImgvetError('bad-input', 'no PEM certificate in Notation trust store file', file)
    for (const b of blocks) {
      try {
        out.push({cert: new X509Certificate(b), file})
      } catch (e) {
        throw new ImgvetError('bad-input', `bad certificate in Notation trust store: ${e instanceof Error ? e.message : String(e)}`, file)
      }
    }
  }
  return out
}
