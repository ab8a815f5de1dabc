// Puts hand-made supply-chain artifacts into a real registry: cosign .sig/.att manifests, Sigstore bundles as
// referrers reachable through the `sha256-<hex>` tag fallback, and indexes with BuildKit attestation manifests.
import {sign} from 'node:crypto'
import {Pusher, sha256, type Pushed, OCI_INDEX} from '../support/push.js'
import * as h from './private-sigstore.js'

export const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json'
export const SLSA_V1 = 'https://slsa.dev/provenance/v1'
export const SLSA_V02 = 'https://slsa.dev/provenance/v0.2'

const b64 = (b: Buffer | string): string => Buffer.from(b).toString('base64')
const hex = (digest: string): string => digest.slice('sha256:'.length)
const tagOf = (digest: string, suffix = ''): string => `${digest.replace(':', '-')}${suffix}`

export function slsaV1(builderId: string, repo = 'https://github.com/org/repo'): unknown {
  return {
    buildDefinition: {
      buildType: 'https://actions.github.io/buildtypes/workflow/v1',
      externalParameters: {workflow: {repository: repo, ref: 'refs/heads/main', path: '.github/workflows/x.yml'}},
      resolvedDependencies: [{uri: `git+${repo}@refs/heads/main`, digest: {gitCommit: 'a'.repeat(40)}}],
    },
    runDetails: {builder: {id: builderId}},
  }
}

export function slsaV02(builderId: string, configUri = 'https://github.com/docker-library/official-images.git'): unknown {
  return {
    builder: {id: builderId},
    buildType: 'https://mobyproject.org/buildkit@v1',
    invocation: {configSource: {uri: configUri, digest: {sha1: 'b'.repeat(40)}}},
    materials: [],
  }
}

export function statementFor(subject: string, predicateType: string, predicate: unknown): Buffer {
  return Buffer.from(JSON.stringify({_type: 'https://in-toto.io/Statement/v1', subject: [{name: 'app', digest: {sha256: hex(subject)}}], predicateType, predicate}))
}

function pae(type: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `), payload])
}

/** A cosign `.att` layer: DSSE envelope plus the SET of an intoto v0.0.2 entry in the private log. */
export async function attLayer(s: h.PrivateSigstore, signer: h.SigningIdentity, payload: Buffer): Promise<{envelope: Buffer; annotations: Record<string, string>}> {
  const type = 'application/vnd.in-toto+json'
  const sig = sign(signer.keys.publicKey.asymmetricKeyType === 'ed25519' ? null : 'sha256', pae(type, payload), signer.keys.privateKey)
  const envelope = Buffer.from(JSON.stringify({payloadType: type, payload: b64(payload), signatures: [{keyid: '', sig: b64(sig)}]}))
  const verifier = signer.certPem ?? signer.keys.publicKey.export({type: 'spki', format: 'pem'}).toString()
  const proposed = {
    apiVersion: '0.0.2',
    kind: 'intoto',
    spec: {content: {
      envelope: {payloadType: type, signatures: [{sig: b64(b64(sig)), publicKey: b64(verifier)}]},
      hash: {algorithm: 'sha256', value: hex(sha256(envelope))},
      payloadHash: {algorithm: 'sha256', value: hex(sha256(payload))},
    }},
  }
  const res = await s.tlog.log(proposed) as Record<string, {body: string; integratedTime: number; logID: string; logIndex: number; verification: {signedEntryTimestamp: string}}>
  const e = Object.values(res)[0]
  if (!e) throw new Error('mock log returned nothing')
  const annotations: Record<string, string> = {
    predicateType: (JSON.parse(payload.toString('utf8')) as {predicateType: string}).predicateType,
    'dev.sigstore.cosign/bundle': JSON.stringify({SignedEntryTimestamp: e.verification.signedEntryTimestamp, Payload: {body: e.body, integratedTime: e.integratedTime, logIndex: e.logIndex, logID: e.logID}}),
  }
  if (signer.certPem) annotations['dev.sigstore.cosign/certificate'] = signer.certPem
  return {envelope, annotations}
}

export class Artifacts {
  readonly push: Pusher
  /** Referrers already listed in each fallback tag, so a second referrer extends the index instead of replacing it. */
  private readonly fallback = new Map<string, Pushed[]>()

  constructor(base: string) {
    this.push = new Pusher(base)
  }

  async sig(repo: string, target: string, layers: {payload: Buffer; annotations: Record<string, string>}[]): Promise<Pushed> {
    const blobs = await Promise.all(layers.map(async (l) => ({...(await this.push.blob(repo, l.payload, 'application/vnd.dev.cosign.simplesigning.v1+json')), annotations: l.annotations})))
    return this.push.artifact(repo, tagOf(target, '.sig'), {layers: blobs, configType: 'application/vnd.oci.image.config.v1+json'})
  }

  async att(repo: string, target: string, layers: {envelope: Buffer; annotations: Record<string, string>}[]): Promise<Pushed> {
    const blobs = await Promise.all(layers.map(async (l) => ({...(await this.push.blob(repo, l.envelope, 'application/vnd.dsse.envelope.v1+json')), annotations: l.annotations})))
    return this.push.artifact(repo, tagOf(target, '.att'), {layers: blobs, configType: 'application/vnd.oci.image.config.v1+json'})
  }

  /** cosign v3's layout: an artifact manifest (subject = image) whose one layer is the bundle, found via the tag schema. */
  async bundle(repo: string, subject: Pushed, bundle: unknown, artifactType = BUNDLE_TYPE): Promise<Pushed> {
    const layer = await this.push.blob(repo, JSON.stringify(bundle), artifactType)
    const m = await this.push.artifact(repo, null, {artifactType, layers: [layer], subject})
    return this.addReferrer(repo, subject.digest, {...m, artifactType})
  }

  /** A Notation signature manifest (subject = image) with one envelope layer; the default envelope is not a real JWS. */
  async notation(repo: string, subject: Pushed, envelope: Buffer | string = 'not a real JWS', mediaType = 'application/jose+json'): Promise<Pushed> {
    const type = 'application/vnd.cncf.notary.signature'
    const layer = await this.push.blob(repo, envelope, mediaType)
    const m = await this.push.artifact(repo, null, {artifactType: type, layers: [layer], subject})
    return this.addReferrer(repo, subject.digest, {...m, artifactType: type})
  }

  private async addReferrer(repo: string, subject: string, desc: Pushed): Promise<Pushed> {
    const key = `${repo}\0${subject}`
    const list = [...(this.fallback.get(key) ?? []), desc]
    this.fallback.set(key, list)
    await this.push.manifest(repo, tagOf(subject), {schemaVersion: 2, mediaType: OCI_INDEX, manifests: list})
    return desc
  }

  /** A multi-arch-style index: the image plus a BuildKit attestation manifest holding `statement` (unsigned). */
  async buildkitIndex(repo: string, tag: string, seed: string, predicate: {type: string; body: unknown} | null): Promise<{index: Pushed; image: Pushed}> {
    const image = await this.push.image(repo, null, seed)
    const manifests: Pushed[] = [image]
    if (predicate) {
      const st = statementFor(image.digest, predicate.type, predicate.body)
      const layer = {...(await this.push.blob(repo, st, 'application/vnd.in-toto+json')), annotations: {'in-toto.io/predicate-type': predicate.type}}
      const att = await this.push.artifact(repo, null, {layers: [layer], configType: 'application/vnd.oci.image.config.v1+json'})
      manifests.push({...att, platform: {os: 'unknown', architecture: 'unknown'},
        annotations: {'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': image.digest}})
    }
    const index = await this.push.index(repo, tag, manifests)
    return {index, image}
  }
}

