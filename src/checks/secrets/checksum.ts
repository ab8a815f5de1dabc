const CRC_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

function crc32(s: string): number {
  let crc = 0xffffffff
  for (let i = 0; i < s.length; i++) crc = (crc >>> 8) ^ (CRC_TABLE[(crc ^ s.charCodeAt(i)) & 0xff] ?? 0)
  return (crc ^ 0xffffffff) >>> 0
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

function base62(n: number, width: number): string {
  let out = ''
  let v = n
  while (v > 0) {
    out = BASE62[v % 62] + out
    v = Math.floor(v / 62)
  }
  return out.padStart(width, '0')
}

/**
 * GitHub classic tokens and npm tokens end in base62(crc32(random part)), 6 characters: a token that fails it was
 * made up (docs, tests) or mangled, which is why a failure lowers confidence instead of dropping the hit.
 */
export function validBase62Checksum(token: string, prefixLength: number): boolean {
  const body = token.slice(prefixLength)
  if (body.length !== 36) return false
  const random = body.slice(0, 30)
  return base62(crc32(random), 6) === body.slice(30)
}

const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'

/** BIP-173 checksum of a bech32 string (age keys use it, upper-cased): a made-up key almost never passes. */
export function bech32Valid(s: string): boolean {
  const lower = s.toLowerCase()
  const sep = lower.lastIndexOf('1')
  if (sep < 1 || sep + 7 > lower.length) return false
  const hrp = lower.slice(0, sep)
  const data = [...lower.slice(sep + 1)].map((c) => BECH32.indexOf(c))
  if (data.some((v) => v < 0)) return false
  const values = [...[...hrp].map((c) => c.charCodeAt(0) >> 5), 0, ...[...hrp].map((c) => c.charCodeAt(0) & 31), ...data]
  const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
  let chk = 1
  for (const v of values) {
    const top = chk >>> 25
    chk = (((chk & 0x1ffffff) << 5) ^ v) >>> 0
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk = (chk ^ (GEN[i] ?? 0)) >>> 0
  }
  return chk === 1
}
