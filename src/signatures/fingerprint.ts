import {readFile} from 'node:fs/promises'
import {TrustedRoot} from '@sigstore/protobuf-specs'
import {canonicalJson, sha256Hex} from '../canonical.js'
import type {Policy, SignatureRequirements} from '../policy/types.js'
import {signerFlagsGiven, type SupplyChainOverrides} from './supply-chain.js'
import type {TrustRoot} from './trust-root.js'

/** Bumped when what the stage decides from the same inputs changes (a new rule on signer flags, say). */
const SIGNER_CONFIG_VERSION = 2

/**
 * sha256 of a file's bytes: rotating a key under the same name changes the verdict, moving it does not. A file that
 * cannot be read gets a marker; the check itself then fails on it with a coded error, so nothing is reused.
 */
async function contentHash(path: string): Promise<string> {
  try {
    return sha256Hex(await readFile(path))
  } catch {
    return `unreadable ${path}`
  }
}

async function hashes(paths: readonly string[] | undefined): Promise<string[]> {
  return (await Promise.all((paths ?? []).map(contentHash))).sort()
}

/** Whom one scope (or the flags) trusts, by content: the signer set resolveSigners and resolveNotation build. */
async function signerSet(keys: readonly string[] | undefined, identities: readonly object[], notation?: NotationFiles) {
  return {
    keys: await hashes(keys),
    identities: identities.map((i) => canonicalJson(i)).sort(),
    notation: notation
      ? {trustStore: await hashes(notation.trustStore), identities: [...(notation.identities ?? [])].sort()}
      : null,
  }
}

interface NotationFiles {
  trustStore?: string[]
  identities?: string[]
}

/**
 * Everything besides the image and the policy's wording that decides what the supply-chain stage reports: the
 * effective signer set of every scope (the flags' when any signer flag is given, else each scope's), by the
 * contents of its key and trust-store files, the trusted root it verifies against, and the flags that loosen or move
 * the check. A recorded verdict is reused only under the same fingerprint.
 */
export async function signerFingerprint(policy: Policy, o: SupplyChainOverrides, root: TrustRoot): Promise<string> {
  const flagNotation = o.notationTrustStore || o.notationIdentities
    ? {trustStore: o.notationTrustStore, identities: o.notationIdentities}
    : undefined
  const scope = (s: SignatureRequirements | undefined) => signerSet(s?.keys, s?.identities ?? [], s?.notation)
  const signers = signerFlagsGiven(o)
    ? {flags: await signerSet(o.keys, o.identity ? [o.identity] : [], flagNotation)}
    : {scopes: await Promise.all(policy.scopes.map((s) => scope(s.signatures)))}
  return sha256Hex(canonicalJson({
    v: SIGNER_CONFIG_VERSION,
    signers,
    trustRoot: sha256Hex(canonicalJson(TrustedRoot.toJSON(root.root))),
    allowMissingTlog: Boolean(o.allowMissingTlog),
    signatureRepository: o.signatureRepository ?? null,
  })).slice(0, 16)
}
