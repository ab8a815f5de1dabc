import {createPublicKey, publicDecrypt, constants, type KeyObject} from 'node:crypto'
import {ImgvetError} from '../errors.js'

/** A user-supplied verification key: PEM SPKI (ECDSA P-256/384/521, Ed25519, RSA). */
export function parsePublicKeyPem(pem: string, where?: string): KeyObject {
  let key: KeyObject
  try {
    key = createPublicKey({key: pem, format: 'pem'})
  } catch (e) {
    throw new ImgvetError('bad-input', `not a PEM public key: ${(e as Error).message}`, where, {cause: e})
  }
  const t = key.asymmetricKeyType
  if (t !== 'ec' && t !== 'ed25519' && t !== 'rsa' && t !== 'rsa-pss') {
    throw new ImgvetError('bad-input', `unsupported public key type ${String(t)} (want ECDSA, Ed25519 or RSA)`, where)
  }
  return key
}

export function sameKey(a: KeyObject, b: KeyObject): boolean {
  return a.export({type: 'spki', format: 'der'}).equals(b.export({type: 'spki', format: 'der'}))
}

interface Curve {
  p: bigint
  a: bigint
  n: bigint
  gx: bigint
  gy: bigint
}

// Standard NIST curve parameters (SEC 2). Only needed to check a signature over a digest we were handed
// (the artifact given as sha256:<hex>): Node can sign/verify messages but offers no prehashed ECDSA verify.
const CURVES: Record<string, Curve> = {
  'P-256': {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    a: 0xffffffff00000001000000000000000000000000fffffffffffffffffffffffcn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
    gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
  },
  'P-384': {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    a: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000fffffffcn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    gx: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
    gy: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
  },
}

type Point = {x: bigint; y: bigint} | null

const mod = (a: bigint, m: bigint): bigint => ((a % m) + m) % m

function inv(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [mod(a, m), m, 1n, 0n]
  while (r1 !== 0n) {
    const q = r0 / r1
    ;[r0, r1] = [r1, r0 - q * r1]
    ;[s0, s1] = [s1, s0 - q * s1]
  }
  return mod(s0, m)
}

function add(c: Curve, P: Point, Q: Point): Point {
  if (P === null) return Q
  if (Q === null) return P
  let l: bigint
  if (P.x === Q.x) {
    if (mod(P.y + Q.y, c.p) === 0n) return null
    l = mod((3n * P.x * P.x + c.a) * inv(2n * P.y, c.p), c.p)
  } else {
    l = mod((Q.y - P.y) * inv(Q.x - P.x, c.p), c.p)
  }
  const x = mod(l * l - P.x - Q.x, c.p)
  return {x, y: mod(l * (P.x - x) - P.y, c.p)}
}

function mul(c: Curve, k: bigint, P: Point): Point {
  let R: Point = null
  let A = P
  while (k > 0n) {
    if (k & 1n) R = add(c, R, A)
    A = add(c, A, A)
    k >>= 1n
  }
  return R
}

const big = (b: Buffer): bigint => (b.length === 0 ? 0n : BigInt(`0x${b.toString('hex')}`))

/** DER ECDSA-Sig-Value: SEQUENCE { INTEGER r, INTEGER s }, short or long-form lengths. */
function parseDerSignature(sig: Buffer): {r: bigint; s: bigint} | undefined {
  let i = 0
  const len = (): number | undefined => {
    const first = sig[i++]
    if (first === undefined) return undefined
    if (first < 0x80) return first
    const n = first & 0x7f
    if (n < 1 || n > 2) return undefined
    let v = 0
    for (let k = 0; k < n; k++) {
      const b = sig[i++]
      if (b === undefined) return undefined
      v = (v << 8) | b
    }
    return v
  }
  if (sig[i++] !== 0x30) return undefined
  const seqLen = len()
  if (seqLen === undefined || i + seqLen !== sig.length) return undefined
  const ints: bigint[] = []
  for (let k = 0; k < 2; k++) {
    if (sig[i++] !== 0x02) return undefined
    const l = len()
    if (l === undefined || l === 0 || i + l > sig.length) return undefined
    ints.push(big(sig.subarray(i, i + l)))
    i += l
  }
  const [r, s] = ints
  return i === sig.length && r !== undefined && s !== undefined ? {r, s} : undefined
}

const DIGEST_INFO_PREFIX: Record<number, Buffer> = {
  32: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  48: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  64: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
}

/**
 * Verify a signature over a message we only know by its digest. ECDSA (P-256, P-384) and RSA PKCS#1 v1.5;
 * Ed25519 signs the message itself, so it cannot be checked from a digest and is reported as unsupported.
 */
export function verifyPrehashed(key: KeyObject, digest: Buffer, signature: Buffer): boolean | 'unsupported' {
  if (key.asymmetricKeyType === 'ec') {
    const jwk = key.export({format: 'jwk'})
    const curve = jwk.crv ? CURVES[jwk.crv] : undefined
    if (!curve || !jwk.x || !jwk.y) return 'unsupported'
    const rs = parseDerSignature(signature)
    if (!rs) return false
    const {r, s} = rs
    if (r <= 0n || r >= curve.n || s <= 0n || s >= curve.n) return false
    const nBits = curve.n.toString(2).length
    let e = big(digest)
    if (digest.length * 8 > nBits) e >>= BigInt(digest.length * 8 - nBits)
    const w = inv(s, curve.n)
    const Q = {x: big(Buffer.from(jwk.x, 'base64url')), y: big(Buffer.from(jwk.y, 'base64url'))}
    const G = {x: curve.gx, y: curve.gy}
    const X = add(curve, mul(curve, mod(e * w, curve.n), G), mul(curve, mod(r * w, curve.n), Q))
    return X !== null && mod(X.x, curve.n) === r
  }
  if (key.asymmetricKeyType === 'rsa') {
    const prefix = DIGEST_INFO_PREFIX[digest.length]
    if (!prefix) return 'unsupported'
    try {
      const decoded = publicDecrypt({key, padding: constants.RSA_PKCS1_PADDING}, signature)
      return decoded.equals(Buffer.concat([prefix, digest]))
    } catch {
      return false
    }
  }
  return 'unsupported'
}
