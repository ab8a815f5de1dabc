import {readFile} from 'node:fs/promises'
import {dig, isObject} from '../json.js'
import {createRequire} from 'node:module'
import {TrustedRoot} from '@sigstore/protobuf-specs'
import {toTrustMaterial, type TrustMaterial} from '@sigstore/verify'
import {ImgvetError} from '../errors.js'

/** The TUF mirror whose embedded seed holds the public-good trusted root. */
export const PUBLIC_GOOD_MIRROR = 'https://tuf-repo-cdn.sigstore.dev'

export interface TrustRoot {
  /** Where it came from: `public-good (embedded)` or the file path; used in messages. */
  source: string
  root: TrustedRoot
}

/**
 * Load the public-good root from the copy that ships inside @sigstore/tuf, never from the network: a verifier
 * that goes online behind the user's back is one of the complaints we are answering. The seed is the one the
 * package's TUF client would start from, so it is as trustworthy as the installed package.
 */
export async function loadPublicGoodTrustRoot(): Promise<TrustRoot> {
  const require = createRequire(import.meta.url)
  let seedsPath: string
  try {
    seedsPath = require.resolve('@sigstore/tuf/seeds.json')
  } catch (e) {
    throw new ImgvetError('tool-missing', '@sigstore/tuf is not installed: no embedded public-good trusted root', undefined, {cause: e})
  }
  const seeds = parseJson(await readFile(seedsPath, 'utf8'), seedsPath)
  const b64 = dig(seeds, [PUBLIC_GOOD_MIRROR, 'targets', 'trusted_root.json'])
  if (typeof b64 !== 'string') throw new ImgvetError('bad-input', 'seeds.json has no trusted_root.json target', seedsPath)
  return parseTrustRoot(parseJson(Buffer.from(b64, 'base64').toString('utf8'), seedsPath), 'public-good (embedded)')
}

export async function loadTrustRootFile(path: string): Promise<TrustRoot> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw new ImgvetError('bad-input', `cannot read trusted root: ${(e as Error).message}`, path, {cause: e})
  }
  return parseTrustRoot(parseJson(text, path), path)
}

let publicGood: Promise<TrustRoot> | undefined

/**
 * A trusted root file if given, else the embedded public-good root. The embedded one is parsed once per process: it is
 * part of the installed package, and adopt and the vet inside it each ask for it (~10-20 ms of keys and certificates).
 */
export async function loadTrustRoot(path?: string): Promise<TrustRoot> {
  return path ? loadTrustRootFile(path) : (publicGood ??= loadPublicGoodTrustRoot())
}

/**
 * Validate before converting: sigstore-js reads a missing `validFor.start` as "since the beginning of time",
 * which silently widens trust in a key. The spec makes `start` required, so a root without it is malformed.
 */
export function parseTrustRoot(json: unknown, source: string): TrustRoot {
  if (!isObject(json)) throw new ImgvetError('bad-input', 'trusted root is not a JSON object', source)
  const problems: string[] = []
  const list = (key: string): unknown[] => {
    const v = json[key]
    if (v === undefined) return []
    if (!Array.isArray(v)) {
      problems.push(`${key} is not an array`)
      return []
    }
    return v
  }
  for (const key of ['tlogs', 'ctlogs']) {
    list(key).forEach((log, i) => {
      if (typeof dig(log, ['publicKey', 'rawBytes']) !== 'string') problems.push(`${key}[${i}].publicKey.rawBytes is missing`)
      if (!validTime(dig(log, ['publicKey', 'validFor', 'start']))) problems.push(`${key}[${i}].publicKey.validFor.start is missing or invalid`)
      if (typeof dig(log, ['logId', 'keyId']) !== 'string') problems.push(`${key}[${i}].logId.keyId is missing`)
    })
  }
  for (const key of ['certificateAuthorities', 'timestampAuthorities']) {
    list(key).forEach((ca, i) => {
      const certs = dig(ca, ['certChain', 'certificates'])
      if (!Array.isArray(certs) || certs.length === 0) problems.push(`${key}[${i}].certChain is empty`)
      if (!validTime(dig(ca, ['validFor', 'start']))) problems.push(`${key}[${i}].validFor.start is missing or invalid`)
    })
  }
  if (problems.length > 0) throw new ImgvetError('bad-input', `malformed trusted root: ${problems.join('; ')}`, source)
  let root: TrustedRoot
  try {
    root = TrustedRoot.fromJSON(json)
    // Parse keys and certificates now so a broken root fails here, as bad input, not mid-verification.
    toTrustMaterial(root)
  } catch (e) {
    throw new ImgvetError('bad-input', `malformed trusted root: ${(e as Error).message}`, source, {cause: e})
  }
  return {source, root}
}

export function trustMaterial(root: TrustRoot, keys?: Parameters<typeof toTrustMaterial>[1]): TrustMaterial {
  return toTrustMaterial(root.root, keys)
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (e) {
    throw new ImgvetError('bad-input', `not JSON: ${(e as Error).message}`, where, {cause: e})
  }
}

function validTime(v: unknown): boolean {
  return typeof v === 'string' && !Number.isNaN(Date.parse(v))
}

