// Builds a private Sigstore-like deployment in memory (CA with CT log, Rekor-like log) and signs with it, so the
// tests exercise real chains, SCTs, SETs and inclusion proofs without any network or shipped fixture.
import {createHash, generateKeyPairSync, sign, type KeyObject} from 'node:crypto'
import {initializeCA, initializeCTLog, initializeTLog} from '@sigstore/mock'
import {parseTrustRoot, type TrustRoot} from '../../src/signatures/index.js'

export const GH_ISSUER = 'https://token.actions.githubusercontent.com'
export const WORKFLOW = 'https://github.com/org/repo/.github/workflows/x.yml@refs/heads/main'
const ISSUER_OID = '1.3.6.1.4.1.57264.1.8'

type KeyPair = {publicKey: KeyObject; privateKey: KeyObject}
type MockTLog = Awaited<ReturnType<typeof initializeTLog>>
type MockCA = Awaited<ReturnType<typeof initializeCA>>

export interface PrivateSigstore {
  trustRoot: TrustRoot
  rootJson: Record<string, unknown>
  ca: MockCA
  tlog: MockTLog
}

const ec = (): KeyPair => generateKeyPairSync('ec', {namedCurve: 'P-256'})
const spki = (k: KeyObject): Buffer => k.export({type: 'spki', format: 'der'})
const b64 = (b: Buffer | string): string => Buffer.from(b).toString('base64')
const sha256 = (b: Buffer | string): Buffer => createHash('sha256').update(b).digest()

/** `caClock` backdates the CA so its certificates are already expired when the log records the signature. */
export async function privateSigstore(opts: {caClock?: Date} = {}): Promise<PrivateSigstore> {
  const ctKeys = ec()
  const tlogKeys = ec()
  const ctlog = await initializeCTLog(ctKeys, opts.caClock)
  const ca = await initializeCA(ec(), ctlog, opts.caClock)
  const tlog = await initializeTLog('https://rekor.test', tlogKeys)
  const start = '2000-01-01T00:00:00Z'
  const logEntry = (k: KeyObject, url: string) => ({
    baseUrl: url,
    hashAlgorithm: 'SHA2_256',
    publicKey: {rawBytes: b64(spki(k)), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: {start}},
    logId: {keyId: b64(sha256(spki(k)))},
  })
  const rootJson = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [logEntry(tlogKeys.publicKey, 'https://rekor.test')],
    ctlogs: [logEntry(ctKeys.publicKey, 'https://ctfe.test')],
    certificateAuthorities: [{
      subject: {organization: 'sigstore.mock', commonName: 'sigstore'},
      uri: 'https://fulcio.test',
      certChain: {certificates: [{rawBytes: b64(Buffer.from(ca.rootCertificate.buffer, ca.rootCertificate.byteOffset, ca.rootCertificate.byteLength))}]},
      validFor: {start},
    }],
    timestampAuthorities: [],
  }
  return {trustRoot: parseTrustRoot(rootJson, 'test root'), rootJson, ca, tlog}
}

export interface SigningIdentity {
  keys: KeyPair
  certDer?: Buffer
  certPem?: string
}

export async function keylessSigner(s: PrivateSigstore, identity = WORKFLOW, issuer = GH_ISSUER): Promise<SigningIdentity> {
  const keys = ec()
  const cert = await s.ca.issueCertificate({publicKey: new Uint8Array(spki(keys.publicKey)), subjectAltName: identity, extensions: [{oid: ISSUER_OID, value: issuer}]})
  const certDer = Buffer.from(cert.buffer, cert.byteOffset, cert.byteLength)
  const certPem = `-----BEGIN CERTIFICATE-----\n${b64(certDer).replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`
  return {keys, certDer, certPem}
}

export function keySigner(type: 'ec' | 'ed25519' | 'rsa' = 'ec'): SigningIdentity {
  const keys = type === 'ec' ? ec() : type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', {modulusLength: 2048})
  return {keys}
}

export function publicPem(s: SigningIdentity): string {
  return s.keys.publicKey.export({type: 'spki', format: 'pem'}).toString()
}

function signBytes(s: SigningIdentity, data: Buffer): Buffer {
  return sign(s.keys.publicKey.asymmetricKeyType === 'ed25519' ? null : 'sha256', data, s.keys.privateKey)
}

function verifierPem(s: SigningIdentity): string {
  return s.certPem ?? publicPem(s)
}

interface LoggedEntry {
  body: string
  integratedTime: number
  logID: string
  logIndex: number
  set: string
  proof: {logIndex: number; treeSize: number; checkpoint: string; hashes: string[]; rootHash: string}
}

async function logEntry(s: PrivateSigstore, proposed: object): Promise<LoggedEntry> {
  const res = await s.tlog.log(proposed) as Record<string, {body: string; integratedTime: number; logID: string; logIndex: number; verification: {signedEntryTimestamp: string; inclusionProof: LoggedEntry['proof']}}>
  const e = Object.values(res)[0]
  if (!e) throw new Error('mock log returned nothing')
  return {body: e.body, integratedTime: e.integratedTime, logID: e.logID, logIndex: e.logIndex, set: e.verification.signedEntryTimestamp, proof: e.verification.inclusionProof}
}

function tlogEntryJson(e: LoggedEntry, kind: string): object {
  return {
    logIndex: String(e.logIndex),
    logId: {keyId: b64(Buffer.from(e.logID, 'hex'))},
    kindVersion: {kind, version: '0.0.1'},
    integratedTime: String(e.integratedTime),
    inclusionPromise: {signedEntryTimestamp: e.set},
    inclusionProof: {
      logIndex: String(e.proof.logIndex),
      rootHash: b64(Buffer.from(e.proof.rootHash, 'hex')),
      treeSize: String(e.proof.treeSize),
      hashes: e.proof.hashes,
      checkpoint: {envelope: e.proof.checkpoint},
    },
    canonicalizedBody: e.body,
  }
}

function material(signer: SigningIdentity): object {
  return signer.certDer ? {certificate: {rawBytes: b64(signer.certDer)}} : {publicKey: {hint: ''}}
}

export function hashedrekord(signer: SigningIdentity, digest: Buffer, sig: Buffer): object {
  return {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: {hash: {algorithm: 'sha256', value: digest.toString('hex')}},
      signature: {content: b64(sig), publicKey: {content: b64(verifierPem(signer))}},
    },
  }
}

/** A v0.3 message-signature bundle over `artifact`, logged in the private log. */
export async function messageBundle(s: PrivateSigstore, signer: SigningIdentity, artifact: Buffer): Promise<Record<string, unknown>> {
  const sig = signBytes(signer, artifact)
  const entry = await logEntry(s, hashedrekord(signer, sha256(artifact), sig))
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {...material(signer), tlogEntries: [tlogEntryJson(entry, 'hashedrekord')], timestampVerificationData: {}},
    messageSignature: {messageDigest: {algorithm: 'SHA2_256', digest: b64(sha256(artifact))}, signature: b64(sig)},
  }
}

export function statement(subjectDigestHex: string, predicateType = 'https://slsa.dev/provenance/v1', predicate: unknown = {}): Buffer {
  return Buffer.from(JSON.stringify({
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{name: 'registry.test/app', digest: {sha256: subjectDigestHex}}],
    predicateType,
    predicate,
  }))
}

function pae(type: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `), payload])
}

/** A v0.3 DSSE bundle (cosign v3 attestation shape) whose in-toto subject is `subjectDigestHex`. */
export async function dsseBundle(s: PrivateSigstore, signer: SigningIdentity, payload: Buffer, payloadType = 'application/vnd.in-toto+json'): Promise<Record<string, unknown>> {
  const sig = signBytes(signer, pae(payloadType, payload))
  const entry = await logEntry(s, {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      payloadHash: {algorithm: 'sha256', value: sha256(payload).toString('hex')},
      signatures: [{signature: b64(sig), verifier: b64(verifierPem(signer))}],
    },
  })
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {...material(signer), tlogEntries: [tlogEntryJson(entry, 'dsse')], timestampVerificationData: {}},
    dsseEnvelope: {payload: b64(payload), payloadType, signatures: [{sig: b64(sig), keyid: ''}]},
  }
}

export function cosignPayload(imageDigest: string, ref = 'registry.test/app'): Buffer {
  return Buffer.from(JSON.stringify({
    critical: {identity: {'docker-reference': ref}, image: {'docker-manifest-digest': imageDigest}, type: 'cosign container image signature'},
    optional: {creator: 'test'},
  }))
}

/** The annotations cosign puts on a `.sig` layer, with the SET bundle from the private log. */
export async function cosignLayer(
  s: PrivateSigstore,
  signer: SigningIdentity,
  payload: Buffer,
  opts: {tlog?: boolean} = {},
): Promise<{payload: Buffer; annotations: Record<string, string>}> {
  const sig = signBytes(signer, payload)
  const annotations: Record<string, string> = {'dev.cosignproject.cosign/signature': b64(sig)}
  if (signer.certPem) annotations['dev.sigstore.cosign/certificate'] = signer.certPem
  if (opts.tlog !== false) {
    const e = await logEntry(s, hashedrekord(signer, sha256(payload), sig))
    annotations['dev.sigstore.cosign/bundle'] = JSON.stringify({
      SignedEntryTimestamp: e.set,
      Payload: {body: e.body, integratedTime: e.integratedTime, logIndex: e.logIndex, logID: e.logID},
    })
  }
  return {payload, annotations}
}

export function digestOf(b: Buffer): string {
  return `sha256:${sha256(b).toString('hex')}`
}
