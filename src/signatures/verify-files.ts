import {readFile, stat} from 'node:fs/promises'
import {ImgvetError} from '../errors.js'
import {verifyBundle, type Artifact, type SignerPolicy} from './bundle.js'
import type {VerifyResult} from './failure.js'
import type {IdentityPolicy} from './identity.js'
import {parsePublicKeyPem} from './keys.js'
import {loadTrustRoot} from './trust-root.js'

/** File-level inputs of `imgvet sigstore verify-bundle` (the sigstore-conformance client protocol). */
export interface VerifyBundleFiles {
  bundle: string
  /** A file path, or `sha256:<hex>` when no such file exists. */
  artifact: string
  key?: string
  identity?: IdentityPolicy
  trustedRoot?: string
}

/**
 * Read the files, then verify. Shared by the command and the conformance test so both take one code path.
 * Throws ImgvetError (exit 2) for unusable input; returns a result (exit 0 or 1) for anything about the bundle.
 */
export async function verifyBundleFiles(f: VerifyBundleFiles): Promise<VerifyResult> {
  if (f.key !== undefined && f.identity !== undefined) throw new ImgvetError('usage', 'give either --key or a certificate identity, not both')
  if (f.key === undefined && f.identity === undefined) throw new ImgvetError('usage', 'give --key or --certificate-identity with --certificate-oidc-issuer')
  const trustRoot = await loadTrustRoot(f.trustedRoot)
  const policy: SignerPolicy = f.key !== undefined
    ? {key: parsePublicKeyPem(await readText(f.key, 'key'), f.key)}
    : {identity: f.identity ?? {}}
  const artifact = await resolveArtifact(f.artifact)
  const text = await readText(f.bundle, 'bundle')
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    // A truncated or garbled bundle is a bundle that does not verify, not a usage error.
    return {ok: false, code: 'bad-bundle', message: `bundle is not JSON: ${(e as Error).message}`}
  }
  return verifyBundle(json, {trustRoot, policy, artifact})
}

/** The protocol's rule: a digest only if it looks like one and is not an existing path. */
export async function resolveArtifact(arg: string): Promise<Artifact> {
  const looksLikeDigest = /^sha256:[0-9a-f]{64}$/.test(arg)
  if (looksLikeDigest && !(await exists(arg))) return {digest: arg}
  return {bytes: await readFile(arg).catch((e: unknown) => {
    throw new ImgvetError('bad-input', `cannot read artifact: ${(e as Error).message}`, arg, {cause: e})
  })}
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false)
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (e) {
    throw new ImgvetError('bad-input', `cannot read ${what}: ${(e as Error).message}`, path, {cause: e})
  }
}
