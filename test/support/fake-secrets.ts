import {randomInt} from 'node:crypto'
import {run} from './exec.js'

/**
 * Fake but realistic secrets, fresh each run: scanners must find them by shape (and checksums), never because a
 * fixed test value was special-cased. None of them is a documented example value (AKIAIOSFODNN7EXAMPLE etc.).
 */
export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const BASE32_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
const AWS_SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+'

export function randomFrom(alphabet: string, n: number): string {
  let s = ''
  for (let i = 0; i < n; i++) s += alphabet[randomInt(alphabet.length)]
  return s
}

let crcTable: Uint32Array | undefined
export function crc32(data: string | Buffer): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      crcTable[n] = c >>> 0
    }
  }
  let crc = 0xffffffff
  for (const byte of Buffer.from(data)) crc = (crcTable[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

export function base62(n: number, width: number): string {
  let s = ''
  let v = n
  while (v > 0) {
    s = BASE62[v % 62] + s
    v = Math.floor(v / 62)
  }
  return s.padStart(width, '0')
}

/** GitHub's token format: prefix, 30 random base62 chars, then base62(crc32(random part)) padded to 6. */
export function githubToken(prefix = 'ghp'): string {
  const body = randomFrom(BASE62, 30)
  return `${prefix}_${body}${base62(crc32(body), 6)}`
}

export function githubTokenChecksumValid(token: string): boolean {
  const m = /^gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})$/.exec(token)
  return m !== null && m[1] !== undefined && base62(crc32(m[1]), 6) === m[2]
}

export function awsKeyPair(): {accessKeyId: string; secretAccessKey: string} {
  return {accessKeyId: `AKIA${randomFrom(BASE32_UPPER, 16)}`, secretAccessKey: randomFrom(AWS_SECRET_ALPHABET, 40)}
}

export function highEntropy(n = 32): string {
  return randomFrom(BASE62, n)
}

/** `-----BEGIN RSA PRIVATE KEY-----` (PKCS#1) or `-----BEGIN PRIVATE KEY-----` (PKCS#8), from openssl. */
export async function rsaPrivateKeyPem(form: 'pkcs1' | 'pkcs8'): Promise<string> {
  const args = form === 'pkcs1' ? ['genrsa', '-traditional', '2048'] : ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']
  const {stdout} = await run('openssl', args)
  return stdout
}
