// The adopt fixture: an index with two platforms and a BuildKit attestation manifest, a keyless cosign `.sig` on the
// index, a signed `.att` on the amd64 image, a Sigstore-bundle referrer and a Notation referrer of the index reached
// through the fallback tag, and a referrer of that referrer. Everything is pushed into a real registry.
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import * as h from '../signatures/private-sigstore.js'
import type {Pushed} from '../support/push.js'
import {Artifacts, attLayer, slsaV1, statementFor, SLSA_V1} from '../signatures/support.js'

export interface AdoptFixture {
  repo: string
  index: Pushed
  images: Pushed[]
  attestation: Pushed
  bundle: Pushed
  notation: Pushed
  nested: Pushed
  /** The files and flags a run needs: trusted root, policy. */
  flags: string[]
  /** A policy under which the fixture fails (it runs as root). */
  strictPolicy: string
}

/** Files for `--trusted-root` and `--policy`, written into `dir`. */
export async function signedFixture(base: string, repo: string, dir: string,
  sigstore?: h.PrivateSigstore): Promise<AdoptFixture> {
  const a = new Artifacts(base)
  const s = sigstore ?? await h.privateSigstore()
  const signer = await h.keylessSigner(s)
  const amd = await a.push.image(repo, null, `${repo}-amd64`, {os: 'linux', architecture: 'amd64'})
  const arm = await a.push.image(repo, null, `${repo}-arm64`, {os: 'linux', architecture: 'arm64'})
  const st = statementFor(amd.digest, 'https://slsa.dev/provenance/v0.2',
    {builder: {id: 'https://example.com/builder'}})
  const stLayer = {...(await a.push.blob(repo, st, 'application/vnd.in-toto+json')),
    annotations: {'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2'}}
  const att = await a.push.artifact(repo, null,
    {layers: [stLayer], configType: 'application/vnd.oci.image.config.v1+json'})
  const attestation = {...att, platform: {os: 'unknown', architecture: 'unknown'},
    annotations: {'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': amd.digest}}
  const index = await a.push.index(repo, 'v1', [amd, arm, attestation])
  await a.sig(repo, index.digest, [await h.cosignLayer(s, signer, h.cosignPayload(index.digest))])
  await a.att(repo, amd.digest,
    [await attLayer(s, signer,
      statementFor(amd.digest, SLSA_V1, slsaV1('https://github.com/actions/runner/github-hosted')))])
  const bundle = await a.bundle(repo, index,
    await h.dsseBundle(s, signer, statementFor(index.digest, 'https://sigstore.dev/cosign/sign/v1', {})))
  const notation = await a.notation(repo, index)
  const nested = await a.notation(repo, bundle, 'a signature of the bundle manifest')
  const root = join(dir, 'trusted_root.json')
  writeFileSync(root, JSON.stringify(s.rootJson))
  const policy = join(dir, 'adopt-policy.yaml')
  const strictPolicy = join(dir, 'strict-policy.yaml')
  const scope = (nonRoot: boolean) => [
    'version: 1', `name: ${nonRoot ? 'strict' : 'adopt-test'}`, 'scopes:', "  - match: '**'",
      `    failOn: ${nonRoot ? 'high' : 'critical'}`,
    `    user: {nonRoot: ${nonRoot}}`, '    signatures:', '      required: true', '      identities:',
    `        - {subject: '${h.WORKFLOW}', issuer: '${h.GH_ISSUER}'}`, '',
  ].join('\n')
  writeFileSync(policy, scope(false))
  writeFileSync(strictPolicy, scope(true))
  return {repo, index, images: [amd, arm], attestation: att, bundle, notation, nested,
    flags: ['--trusted-root', root, '--policy', policy], strictPolicy}
}
