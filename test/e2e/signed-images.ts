import {writeFileSync} from 'node:fs'
import type {Pushed} from '../support/push.js'
import * as h from '../signatures/private-sigstore.js'
import {Artifacts, attLayer, slsaV1, statementFor, SLSA_V1} from '../signatures/support.js'

/** What verify's tests sign with and push: a private Sigstore, its keyless signer and a cosign key. */
export interface SignedImages {
  sigstore: Awaited<ReturnType<typeof h.privateSigstore>>
  signer: Awaited<ReturnType<typeof h.keylessSigner>>
  a: Artifacts
  /** app/signed:v1, signed keyless, with an SLSA v1 attestation. */
  signed: Pushed
  /** app/keyed:v1, signed with the key; keyedSig is its `.sig` manifest. */
  keyed: Pushed
  keyedSig: Pushed
  /** app/bare:v1, signed by nobody. */
  bare: Pushed
}

/**
 * The images verify is tried on, pushed to a real registry at `url`: the trusted root and the public key are
 * written to `root` and `keyFile`; `label` keeps each suite's image content its own.
 */
export async function pushSignedImages(url: string, root: string, keyFile: string, label: string): Promise<SignedImages> {
  const a = new Artifacts(url)
  const sigstore = await h.privateSigstore()
  const signer = await h.keylessSigner(sigstore)
  const key = h.keySigner()
  writeFileSync(root, JSON.stringify(sigstore.rootJson))
  writeFileSync(keyFile, h.publicPem(key))
  const signed = await a.push.image('app/signed', 'v1', `${label}-signed`)
  await a.sig('app/signed', signed.digest, [await h.cosignLayer(sigstore, signer, h.cosignPayload(signed.digest))])
  await a.att('app/signed', signed.digest, [await attLayer(sigstore, signer,
    statementFor(signed.digest, SLSA_V1, slsaV1('https://github.com/actions/runner/github-hosted')))])
  const keyed = await a.push.image('app/keyed', 'v1', `${label}-keyed`)
  const keyedSig = await a.sig('app/keyed', keyed.digest, [await h.cosignLayer(sigstore, key, h.cosignPayload(keyed.digest))])
  const bare = await a.push.image('app/bare', 'v1', `${label}-bare`)
  return {sigstore, signer, a, signed, keyed, keyedSig, bare}
}
