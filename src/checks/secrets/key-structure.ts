/**
 * What the bytes under a private-key armour say: a header with random or truncated base64 under it is not a key,
 * and an encrypted key is worth less than a clear one. Every parser here reads untrusted bytes with bounds checks
 * and answers 'bad' rather than throwing.
 */

/** 'ok': the structure is whole; 'truncated': it starts right but the bytes run out; 'bad': not this format. */
type Shape = 'ok' | 'truncated' | 'bad'

export interface KeyShape {
  shape: Shape
  /** Known only when the structure says so (OpenSSH cipher, PGP S2K usage, SSH.com cipher). */
  encrypted?: boolean
  /** Why the shape is not 'ok', for the finding's note. */
  why?: string
}

/**
 * A DER private key starts with a SEQUENCE whose first child is the version INTEGER (PKCS#1, SEC1, PKCS#8, the
 * OpenSSL DSA form) or, for an EncryptedPrivateKeyInfo, the algorithm SEQUENCE.
 */
export function derKeyShape(buf: Buffer, firstChild: readonly number[]): KeyShape {
  if (buf.length < 8 || buf[0] !== 0x30) return {shape: 'bad', why: 'body is not DER'}
  let len = buf[1] ?? 0
  let p = 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0 || n > 3) return {shape: 'bad', why: 'body is not DER'}
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + (buf[p + i] ?? 0)
    p += n
  }
  // The smallest real key (Ed25519 PKCS#8) holds 46 bytes; a SEQUENCE much shorter than that is something else.
  if (len < 32 || !firstChild.includes(buf[p] ?? -1)) return {shape: 'bad', why: 'body is not a DER private key'}
  if (p + len > buf.length) return {shape: 'truncated', why: `truncated: DER says ${p + len} bytes, ${buf.length} present`}
  return {shape: 'ok'}
}

function sshString(buf: Buffer, at: number, max = 64): {value: string; next: number} | undefined {
  if (at + 4 > buf.length) return undefined
  const len = buf.readUInt32BE(at)
  if (len > max || at + 4 + len > buf.length) return undefined
  return {value: buf.toString('latin1', at + 4, at + 4 + len), next: at + 4 + len}
}

const OPENSSH_MAGIC = 'openssh-key-v1\0'

/** OpenSSH's own container: "openssh-key-v1\0", then the cipher name; anything but "none" is passphrase-protected. */
export function opensshShape(buf: Buffer): KeyShape {
  if (buf.length < OPENSSH_MAGIC.length + 4 || buf.toString('latin1', 0, OPENSSH_MAGIC.length) !== OPENSSH_MAGIC) {
    return {shape: 'bad', why: 'no openssh-key-v1 magic'}
  }
  const cipher = sshString(buf, OPENSSH_MAGIC.length)
  if (!cipher || !/^[a-z0-9@.-]+$/.test(cipher.value)) return {shape: 'bad', why: 'no cipher name after the magic'}
  const kdf = sshString(buf, cipher.next)
  const kdfOptions = kdf && sshString(buf, kdf.next, 1024)
  // Then the key count and the first public key: a key cut before them is a fragment.
  const shape: Shape = kdfOptions && kdfOptions.next + 8 <= buf.length ? 'ok' : 'truncated'
  return {shape, encrypted: cipher.value !== 'none', why: shape === 'truncated' ? 'truncated after the header' : undefined}
}

/** SSH.com (Tectia) format: magic 0x3f6ff9eb, total length, key type, cipher ("none" when clear). */
export function ssh2Shape(buf: Buffer): KeyShape {
  if (buf.length < 16 || buf.readUInt32BE(0) !== 0x3f6ff9eb) return {shape: 'bad', why: 'no SSH.com key magic'}
  const type = sshString(buf, 8, 512)
  const cipher = type && sshString(buf, type.next)
  if (!cipher) return {shape: 'truncated', why: 'truncated before the cipher name'}
  const total = buf.readUInt32BE(4)
  const shape: Shape = total <= buf.length ? 'ok' : 'truncated'
  return {shape, encrypted: cipher.value !== 'none', why: shape === 'truncated' ? 'truncated' : undefined}
}

/** Public-key material per OpenPGP algorithm: MPIs, then algorithm-specific fixed fields. */
const PGP_MPIS: Record<number, number> = {1: 2, 2: 2, 3: 2, 16: 3, 20: 3, 17: 4}
const PGP_FIXED: Record<number, number> = {25: 32, 26: 56, 27: 32, 28: 57}

/**
 * The first packet of a transferable secret key is a Secret-Key packet (tag 5; 7 is a subkey). After the public
 * part comes the S2K usage octet: 0 means the secret material follows in the clear.
 */
export function pgpSecretShape(buf: Buffer): KeyShape {
  const b = buf[0] ?? 0
  if (!(b & 0x80)) return {shape: 'bad', why: 'not an OpenPGP packet'}
  let tag: number
  let p: number
  if (b & 0x40) {
    tag = b & 0x3f
    const l0 = buf[1] ?? 0
    p = l0 < 192 ? 2 : l0 < 224 ? 3 : l0 === 255 ? 6 : 2
  } else {
    tag = (b >> 2) & 0x0f
    p = 1 + ([1, 2, 4, 0][b & 3] ?? 0)
  }
  if (tag !== 5 && tag !== 7) return {shape: 'bad', why: 'first packet is not a secret key'}
  const truncated: KeyShape = {shape: 'truncated', why: 'truncated before the secret part'}
  const version = buf[p]
  if (version === undefined) return truncated
  if (version !== 3 && version !== 4 && version !== 5 && version !== 6) return {shape: 'bad', why: `secret key version ${version}`}
  p += version === 3 ? 7 : 5
  const algo = buf[p++]
  if (algo === undefined) return truncated
  if (version >= 5) {
    if (p + 4 > buf.length) return truncated
    p += 4 + buf.readUInt32BE(p)
  } else {
    const mpi = () => {
      if (p + 2 > buf.length) return false
      p += 2 + Math.ceil(buf.readUInt16BE(p) / 8)
      return p <= buf.length
    }
    const oid = () => {
      const n = buf[p]
      if (n === undefined) return false
      p += 1 + n
      return p <= buf.length
    }
    if (PGP_MPIS[algo] !== undefined) {
      for (let i = 0; i < PGP_MPIS[algo]; i++) if (!mpi()) return truncated
    } else if (algo === 18 || algo === 19 || algo === 22) {
      if (!oid() || !mpi()) return truncated
      if (algo === 18 && !oid()) return truncated
    } else if (PGP_FIXED[algo] !== undefined) p += PGP_FIXED[algo]
    else return {shape: 'bad', why: `unknown OpenPGP algorithm ${algo}`}
  }
  const usage = buf[p]
  if (usage === undefined) return truncated
  return {shape: 'ok', encrypted: usage !== 0}
}

/** RFC 4648 alphabet (standard or URL-safe) with optional padding: what Buffer.from(s, 'base64') takes whole. */
export const BASE64_BODY = /^[A-Za-z0-9+/_-]+={0,2}$/
