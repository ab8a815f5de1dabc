import {ImgvetError} from '../errors.js'
import {parseManifest} from '../image/manifest.js'
import type {Descriptor, ImageIndex, ImageManifest} from '../image/types.js'
import {readBounded} from '../registry/http.js'
import {cosignTag, discoverSupplyChain, type ReferrerStore} from '../registry/referrers.js'
import {DSSE_LAYER_MEDIA_TYPE, verifyCosignAttestation} from './attestation.js'
import {verifyBundle} from './bundle.js'
import {SIMPLESIGNING_MEDIA_TYPE, verifyCosignLegacy} from './cosign-legacy.js'
import {isSigFailure} from './failure.js'
import {checkSubject, INTOTO_PAYLOAD_TYPE, parseDsseEnvelope, parseStatement, summarizeProvenance, type Statement} from './intoto.js'
import {tryEach, type NamedSigner, type ProvenanceRecord, type SignatureRecord, type Target} from './records.js'
import {NOTATION_COSE_MEDIA_TYPE, NOTATION_JWS_MEDIA_TYPE, verifyNotation, type NotationTrust} from './notation.js'
import {dig} from '../json.js'
import type {TrustRoot} from './trust-root.js'

export const BUNDLE_ARTIFACT_PREFIX = 'application/vnd.dev.sigstore.bundle'
export const NOTATION_ARTIFACT_TYPE = 'application/vnd.cncf.notary.signature'
/** cosign v3 `sign` writes a DSSE bundle whose statement has this predicate type: a signature, not an attestation. */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1'
const MAX_SIGNATURE_BLOB = 4 * 1024 * 1024

export interface CollectOptions {
  client: ReferrerStore
  /** Where the image lives; referrers and BuildKit attestations are here. */
  repository: string
  /** Where cosign tags live (COSIGN_REPOSITORY); referrers are looked up here too when it differs. */
  signatureRepository: string
  index?: ImageIndex
  targets: Target[]
  signers: NamedSigner[]
  trustRoot: TrustRoot
  allowMissingTlog?: boolean
  /** Notation trust store and identities; without them Notation signatures are recorded as present, not verified. */
  notation?: NotationTrust
}

export interface Collected {
  signatures: SignatureRecord[]
  provenance: ProvenanceRecord[]
  /** Human-readable list of the places looked at, so "no signature" can say where it looked. */
  looked: string[]
  referrersVia: string[]
}

/** Where `repo` is, for reports: a layout is its own single repository. */
function place(o: CollectOptions, repo: string): string {
  return o.client.local ? o.client.registry : `${o.client.registry}/${repo}`
}

/** Discover, fetch and verify everything that signs or attests the targets. Never throws for a bad signature. */
export async function collectSupplyChain(o: CollectOptions): Promise<Collected> {
  const out: Collected = {signatures: [], provenance: [], looked: [], referrersVia: []}
  for (const target of o.targets) {
    const found = await discoverSupplyChain(o.client, o.repository, target.digest, {index: o.index, signatureRepository: o.signatureRepository})
    const referrers = found.referrers.map((d) => ({repo: o.repository, desc: d}))
    out.referrersVia.push(`${target.role} ${target.digest}: ${found.referrersVia}`)
    if (o.signatureRepository !== o.repository) {
      const alt = await discoverSupplyChain(o.client, o.signatureRepository, target.digest)
      for (const d of alt.referrers) if (!referrers.some((r) => r.desc.digest === d.digest)) referrers.push({repo: o.signatureRepository, desc: d})
    }
    const at = place(o, o.signatureRepository)
    // A layout has no API: its referrers are the manifests it lists that name the digest as their subject.
    const api = o.client.local ? 'manifests naming it as subject' : 'API'
    out.looked.push(`${at}:${cosignTag(target.digest, 'sig')}`, `${at}:${cosignTag(target.digest, 'att')}`,
      `referrers of ${target.digest} (${found.referrersVia === 'none' ? `${api} and ${cosignTag(target.digest, '')} tag: none` : found.referrersVia})`)
    if (found.cosignSignatures) await legacySignatures(o, target, out)
    if (found.cosignAttestations) await legacyAttestations(o, target, out)
    for (const r of referrers) await referrer(o, target, r.repo, r.desc, out)
    if (target.role === 'manifest' && found.buildkitAttestations.length > 0) {
      out.looked.push(`BuildKit attestation manifests in the index`)
      for (const d of found.buildkitAttestations) await buildkit(o, target, d, out)
    }
  }
  return out
}

async function fetchArtifact(o: CollectOptions, repo: string, ref: string): Promise<{digest: string; manifest: ImageManifest} | {error: string}> {
  try {
    const raw = await o.client.getManifest(repo, ref)
    const parsed = parseManifest(raw, `${place(o, repo)}:${ref}`)
    if (parsed.kind !== 'image') return {error: 'is an index, not a manifest'}
    return {digest: raw.digest, manifest: parsed.manifest}
  } catch (e) {
    // A malformed signature artifact is a signature that does not verify, not a failure to run.
    if (e instanceof ImgvetError && (e.code === 'bad-manifest' || e.code === 'unsupported' || e.code === 'too-large')) return {error: e.oneLine()}
    throw e
  }
}

async function readBlob(o: CollectOptions, repo: string, desc: Descriptor): Promise<Buffer> {
  const where = `${place(o, repo)}@${desc.digest}`
  if (desc.size > MAX_SIGNATURE_BLOB) throw new ImgvetError('too-large', `signature blob of ${desc.size} bytes exceeds ${MAX_SIGNATURE_BLOB}`, where)
  return readBounded(await o.client.openBlob(repo, desc), MAX_SIGNATURE_BLOB, where)
}

async function legacySignatures(o: CollectOptions, target: Target, out: Collected): Promise<void> {
  const tag = cosignTag(target.digest, 'sig')
  const location = `${place(o, o.signatureRepository)}:${tag}`
  const m = await fetchArtifact(o, o.signatureRepository, tag)
  if ('error' in m) {
    out.signatures.push({target, kind: 'cosign-legacy', location, digest: '', verified: false, tlog: [], failure: {code: 'bad-bundle', message: m.error}})
    return
  }
  for (const [i, layer] of m.manifest.layers.entries()) {
    if (layer.mediaType !== SIMPLESIGNING_MEDIA_TYPE) continue
    const rec: SignatureRecord = {target, kind: 'cosign-legacy', location: `${location} layer ${i}`, digest: layer.digest, verified: false, tlog: []}
    out.signatures.push(rec)
    if (o.signers.length === 0) {
      rec.failure = {code: 'not-checked', message: 'no key or certificate identity to verify against'}
      continue
    }
    const payload = await readBlob(o, o.signatureRepository, layer)
    const r = tryEach(o.signers, (policy) => verifyCosignLegacy(
      {payload, annotations: layer.annotations ?? {}},
      {trustRoot: o.trustRoot, policy, imageDigest: target.digest, allowMissingTlog: o.allowMissingTlog},
    ))
    if (r.ok === false) rec.failure = {code: r.code, message: r.message}
    else Object.assign(rec, {verified: true, tlog: r.ok.tlog, signer: {label: r.label, ...r.ok.signer}})
  }
}

async function legacyAttestations(o: CollectOptions, target: Target, out: Collected): Promise<void> {
  const tag = cosignTag(target.digest, 'att')
  const location = `${place(o, o.signatureRepository)}:${tag}`
  const m = await fetchArtifact(o, o.signatureRepository, tag)
  if ('error' in m) {
    out.signatures.push({target, kind: 'attestation', location, digest: '', verified: false, tlog: [], failure: {code: 'bad-bundle', message: m.error}})
    return
  }
  for (const [i, layer] of m.manifest.layers.entries()) {
    if (layer.mediaType !== DSSE_LAYER_MEDIA_TYPE) continue
    const rec: SignatureRecord = {target, kind: 'attestation', location: `${location} layer ${i}`, digest: layer.digest, verified: false, tlog: [],
      predicateType: layer.annotations?.predicateType}
    out.signatures.push(rec)
    const envelope = await readBlob(o, o.signatureRepository, layer)
    if (o.signers.length === 0) {
      rec.failure = {code: 'not-checked', message: 'no key or certificate identity to verify against'}
      const st = unverifiedStatement(envelopePayload(envelope), target)
      if (st) addProvenance(out, target, 'cosign-attestation', false, rec, st)
      continue
    }
    const r = tryEach(o.signers, (policy) => verifyCosignAttestation(
      {envelope, annotations: layer.annotations ?? {}},
      {trustRoot: o.trustRoot, policy, imageDigest: target.digest, allowMissingTlog: o.allowMissingTlog},
    ))
    if (r.ok === false) {
      rec.failure = {code: r.code, message: r.message}
      continue
    }
    Object.assign(rec, {verified: true, tlog: r.ok.tlog, signer: {label: r.label, ...r.ok.signer}, predicateType: r.ok.statement.predicateType})
    addProvenance(out, target, 'cosign-attestation', true, rec, r.ok.statement)
  }
}

async function referrer(o: CollectOptions, target: Target, repo: string, desc: Descriptor, out: Collected): Promise<void> {
  const location = `${place(o, repo)}@${desc.digest}`
  const type = desc.artifactType ?? ''
  if (type === NOTATION_ARTIFACT_TYPE) {
    await notation(o, target, repo, desc, out)
    return
  }
  if (!type.startsWith(BUNDLE_ARTIFACT_PREFIX)) return
  const m = await fetchArtifact(o, repo, desc.digest)
  if ('error' in m) {
    out.signatures.push({target, kind: 'bundle', location, digest: desc.digest, verified: false, tlog: [], failure: {code: 'bad-bundle', message: m.error}})
    return
  }
  for (const [i, layer] of m.manifest.layers.entries()) {
    if (!layer.mediaType.startsWith(BUNDLE_ARTIFACT_PREFIX)) continue
    const bytes = await readBlob(o, repo, layer)
    const rec: SignatureRecord = {target, kind: 'bundle', location: `${location} layer ${i}`, digest: layer.digest, verified: false, tlog: []}
    out.signatures.push(rec)
    let json: unknown
    try {
      json = JSON.parse(bytes.toString('utf8'))
    } catch {
      rec.failure = {code: 'bad-bundle', message: 'bundle layer is not JSON'}
      continue
    }
    const unverified = bundleStatement(json)
    if (unverified && unverified.predicateType !== COSIGN_SIGN_PREDICATE) rec.kind = 'attestation'
    rec.predicateType = unverified?.predicateType
    if (o.signers.length === 0) {
      rec.failure = {code: 'not-checked', message: 'no key or certificate identity to verify against'}
      const st = unverified && subjectOk(unverified, target) ? unverified : undefined
      if (st) addProvenance(out, target, 'bundle', false, rec, st)
      continue
    }
    const r = tryEach(o.signers, (policy) => verifyBundle(json, {trustRoot: o.trustRoot, policy, artifact: {digest: target.digest}}))
    if (r.ok === false) {
      rec.failure = {code: r.code, message: r.message}
      continue
    }
    Object.assign(rec, {verified: true, tlog: r.ok.tlog, signer: {label: r.label, ...r.ok.signer}})
    if (r.ok.dsse) {
      const st = parseStatement(r.ok.dsse.payloadType, r.ok.dsse.payload)
      addProvenance(out, target, 'bundle', true, rec, st)
    }
  }
}

/** A Notation signature manifest: one envelope layer, JWS verified against the Notation trust store, COSE reported. */
async function notation(o: CollectOptions, target: Target, repo: string, desc: Descriptor, out: Collected): Promise<void> {
  const location = `${place(o, repo)}@${desc.digest}`
  if (!o.notation) {
    out.signatures.push({target, kind: 'notation', location, digest: desc.digest, verified: false, tlog: [],
      failure: {code: 'unsupported', message: 'Notation signature present; no Notation trust store and identities configured to verify it'}})
    return
  }
  const m = await fetchArtifact(o, repo, desc.digest)
  const layers = 'error' in m ? [] : m.manifest.layers.filter((l) => l.mediaType === NOTATION_JWS_MEDIA_TYPE || l.mediaType === NOTATION_COSE_MEDIA_TYPE)
  if ('error' in m || layers.length !== 1) {
    const message = 'error' in m ? m.error : `a Notation signature manifest holds one envelope layer, found ${layers.length}`
    out.signatures.push({target, kind: 'notation', location, digest: desc.digest, verified: false, tlog: [], failure: {code: 'bad-bundle', message}})
    return
  }
  const layer = layers[0] as Descriptor
  const rec: SignatureRecord = {target, kind: 'notation', location: `${location} layer 0`, digest: layer.digest, verified: false, tlog: []}
  out.signatures.push(rec)
  if (layer.mediaType === NOTATION_COSE_MEDIA_TYPE) {
    rec.failure = {code: 'unsupported', message: 'Notation signature in a COSE envelope; imgvet verifies the JWS envelope only'}
    return
  }
  const r = verifyNotation(await readBlob(o, repo, layer), {trust: o.notation, imageDigest: target.digest})
  if (!r.ok) {
    rec.failure = {code: r.code, message: r.message}
    return
  }
  rec.verified = true
  rec.signer = {label: o.notation.label, kind: 'x509', identity: r.subject, trustAnchor: `${r.anchor.subject} (${r.anchor.file}, sha256:${r.anchor.sha256.slice(0, 16)}…)`}
}

/** BuildKit's attestation manifest: in-toto statements as plain layers, unsigned by construction. */
async function buildkit(o: CollectOptions, target: Target, desc: Descriptor, out: Collected): Promise<void> {
  const m = await fetchArtifact(o, o.repository, desc.digest)
  if ('error' in m) return
  for (const [i, layer] of m.manifest.layers.entries()) {
    if (layer.mediaType !== INTOTO_PAYLOAD_TYPE) continue
    const predicate = layer.annotations?.['in-toto.io/predicate-type'] ?? ''
    if (!predicate.startsWith('https://slsa.dev/provenance/')) continue
    const st = unverifiedStatement(await readBlob(o, o.repository, layer), target)
    if (!st) continue
    const loc = {location: `${place(o, o.repository)}@${desc.digest} layer ${i}`, digest: layer.digest}
    addProvenance(out, target, 'buildkit', false, loc, st)
  }
}

function addProvenance(out: Collected, target: Target, source: ProvenanceRecord['source'], signed: boolean, where: {location: string; digest: string; signer?: {label: string}}, st: Statement): void {
  const summary = summarizeProvenance(st)
  if (!summary) return
  out.provenance.push({
    target, source, signed, location: where.location, digest: where.digest, predicateType: st.predicateType, summary,
    signer: signed ? where.signer?.label : undefined,
  })
}

function subjectOk(st: Statement, target: Target): boolean {
  try {
    checkSubject(st, Buffer.from(target.digest.slice('sha256:'.length), 'hex'))
    return true
  } catch (e) {
    if (isSigFailure(e)) return false
    throw e
  }
}

/** A statement read without any signature check: still only counted when it is about this image. */
function unverifiedStatement(bytes: Buffer | undefined, target: Target): Statement | undefined {
  if (!bytes) return undefined
  try {
    const st = parseStatement(INTOTO_PAYLOAD_TYPE, bytes)
    return subjectOk(st, target) ? st : undefined
  } catch (e) {
    if (isSigFailure(e)) return undefined
    throw e
  }
}

function envelopePayload(bytes: Buffer): Buffer | undefined {
  try {
    return parseDsseEnvelope(JSON.parse(bytes.toString('utf8'))).payload
  } catch {
    return undefined
  }
}

/** The statement inside a DSSE bundle, read before verification only to name what kind of thing it is. */
function bundleStatement(json: unknown): Statement | undefined {
  const type = dig(json, ['dsseEnvelope', 'payloadType'])
  const payload = dig(json, ['dsseEnvelope', 'payload'])
  if (typeof type !== 'string' || typeof payload !== 'string') return undefined
  try {
    return parseStatement(type, Buffer.from(payload, 'base64'))
  } catch (e) {
    if (isSigFailure(e)) return undefined
    throw e
  }
}

