import {createHash, createHmac, X509Certificate} from 'node:crypto'
import type {Detection} from '../check.js'
import {certificateHit, certInfo, isTrustStorePath} from './certificates.js'
import {children, integer, oid, readTlv} from './der.js'
import {certSighting, type SightingSink} from './key-pairs.js'
import {LineIndex, basename, stripHits} from './util.js'

/** Passwords that ship as defaults: GCP's p12 keys, Java's cacerts, and the usual tutorial choices. */
const DEFAULT_PASSWORDS: ReadonlyArray<[string, string]> = [
  ['', 'empty password'],
  ['notasecret', "GCP's default service-account password 'notasecret'"],
  ['changeit', "Java's default keystore password 'changeit'"],
  ['password', "the password 'password'"],
  ['changeme', "the password 'changeme'"],
  ['secret', "the password 'secret'"],
]
/** openssl writes 2048 iterations; a crafted file with millions would turn the probe into a denial of service. */
const MAX_MAC_ITERATIONS = 10_000

const PKCS7_DATA = '1.2.840.113549.1.7.1'
const HASHES: Record<string, {name: string; u: number; v: number}> = {
  '1.3.14.3.2.26': {name: 'sha1', u: 20, v: 64},
  '2.16.840.1.101.3.4.2.4': {name: 'sha224', u: 28, v: 64},
  '2.16.840.1.101.3.4.2.1': {name: 'sha256', u: 32, v: 64},
  '2.16.840.1.101.3.4.2.2': {name: 'sha384', u: 48, v: 128},
  '2.16.840.1.101.3.4.2.3': {name: 'sha512', u: 64, v: 128},
}

interface Pkcs12Info {
  mac?: {hash: string; iterations: number; defaultPassword?: string; probed: boolean}
}

/**
 * PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo (pkcs7-data), macData MacData OPTIONAL }, with the
 * outer length matching the file: random bytes, truncated files and other DER (certificates, CSRs) all fail here.
 */
export function parsePkcs12(buf: Buffer): Pkcs12Info | undefined {
  const outer = readTlv(buf, 0)
  if (!outer || outer.tag !== 0x30 || outer.end !== buf.length) return undefined
  const parts = children(buf, outer)
  if (!parts || parts.length < 2 || parts.length > 3) return undefined
  const [ver, authSafe, macData] = parts
  if (!ver || !authSafe || integer(buf, ver) !== 3 || authSafe.tag !== 0x30) return undefined
  const ci = children(buf, authSafe)
  const ctype = ci?.[0]
  const explicit = ci?.[1]
  if (!ctype || !explicit || oid(buf, ctype) !== PKCS7_DATA || explicit.tag !== 0xa0) return undefined
  const octets = readTlv(buf, explicit.start, explicit.end)
  if (!octets || octets.tag !== 0x04) return undefined
  if (!macData) return {}
  const md = children(buf, macData)
  const digestInfo = md?.[0]
  const saltT = md?.[1]
  if (!md || !digestInfo || !saltT || saltT.tag !== 0x04) return undefined
  const di = children(buf, digestInfo)
  const algId = di?.[0]
  const digestT = di?.[1]
  const algOid = algId ? children(buf, algId)?.[0] : undefined
  if (!algOid || !digestT || digestT.tag !== 0x04) return undefined
  const iterT = md[2]
  const iterations = iterT ? integer(buf, iterT) ?? -1 : 1
  const hash = HASHES[oid(buf, algOid) ?? '']
  if (!hash || iterations < 1) return {mac: {hash: oid(buf, algOid) ?? 'unknown', iterations, probed: false}}
  if (iterations > MAX_MAC_ITERATIONS) return {mac: {hash: hash.name, iterations, probed: false}}
  const salt = buf.subarray(saltT.start, saltT.end)
  const digest = buf.subarray(digestT.start, digestT.end)
  const data = buf.subarray(octets.start, octets.end)
  for (const [pw, why] of DEFAULT_PASSWORDS) {
    const candidates = pw === '' ? [Buffer.alloc(0), Buffer.alloc(2)] : [bmpString(pw)]
    for (const p of candidates) {
      const key = pkcs12Kdf(hash, p, salt, iterations)
      if (createHmac(hash.name, key).update(data).digest().equals(digest)) {
        return {mac: {hash: hash.name, iterations, defaultPassword: why, probed: true}}
      }
    }
  }
  return {mac: {hash: hash.name, iterations, probed: true}}
}

function bmpString(s: string): Buffer {
  const b = Buffer.alloc(s.length * 2 + 2)
  for (let i = 0; i < s.length; i++) b.writeUInt16BE(s.charCodeAt(i), i * 2)
  return b
}

/** RFC 7292 appendix B.2 with ID 3 (MAC key); one output block is enough because the key is one digest long. */
function pkcs12Kdf(h: {name: string; u: number; v: number}, password: Buffer, salt: Buffer, iterations: number): Buffer {
  const fill = (src: Buffer): Buffer => {
    if (src.length === 0) return Buffer.alloc(0)
    const out = Buffer.alloc(h.v * Math.ceil(src.length / h.v))
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length] ?? 0
    return out
  }
  let a = Buffer.concat([Buffer.alloc(h.v, 3), fill(salt), fill(password)])
  for (let i = 0; i < iterations; i++) a = createHash(h.name).update(a).digest()
  return a.subarray(0, h.u)
}

interface JavaKeystoreInfo {
  format: 'jks' | 'jceks'
  privateKeys: number
  trustedCerts: number
  secretKeys: number
  defaultPassword?: string
}

/** JKS/JCEKS: magic, version, entry count, entries; the trailer is SHA-1(password ‖ "Mighty Aphrodite" ‖ body). */
function parseJavaKeystore(buf: Buffer): JavaKeystoreInfo | undefined {
  if (buf.length < 12 + 20) return undefined
  const magic = buf.readUInt32BE(0)
  const format = magic === 0xfeedfeed ? 'jks' : magic === 0xcececece ? 'jceks' : undefined
  const version = buf.readUInt32BE(4)
  if (!format || (version !== 1 && version !== 2)) return undefined
  const count = buf.readUInt32BE(8)
  if (count > 100_000) return undefined
  const info: JavaKeystoreInfo = {format, privateKeys: 0, trustedCerts: 0, secretKeys: 0}
  let p = 12
  const need = (n: number): boolean => p + n <= buf.length - 20
  const skipUtf = (): boolean => {
    if (!need(2)) return false
    p += 2 + buf.readUInt16BE(p)
    return p <= buf.length - 20
  }
  const skipCert = (): boolean => {
    if (version === 2 && !skipUtf()) return false
    if (!need(4)) return false
    p += 4 + buf.readUInt32BE(p)
    return p <= buf.length - 20
  }
  for (let i = 0; i < count && i < 10_000; i++) {
    if (!need(4)) break
    const tag = buf.readUInt32BE(p)
    p += 4
    if (!skipUtf() || !need(8)) break
    p += 8
    if (tag === 1) {
      info.privateKeys++
      if (!need(4)) break
      p += 4 + buf.readUInt32BE(p)
      if (!need(4)) break
      const chain = buf.readUInt32BE(p)
      p += 4
      let ok = chain < 100
      for (let c = 0; ok && c < chain; c++) ok = skipCert()
      if (!ok) break
    } else if (tag === 2) {
      info.trustedCerts++
      if (!skipCert()) break
    } else {
      // JCEKS secret-key entries are serialized Java objects: counted, not walked.
      info.secretKeys++
      break
    }
  }
  const body = buf.subarray(0, buf.length - 20)
  const trailer = buf.subarray(buf.length - 20)
  for (const [pw, why] of DEFAULT_PASSWORDS) {
    const pwBytes = Buffer.alloc(pw.length * 2)
    for (let i = 0; i < pw.length; i++) pwBytes.writeUInt16BE(pw.charCodeAt(i), i * 2)
    const d = createHash('sha1').update(pwBytes).update('Mighty Aphrodite', 'utf8').update(body).digest()
    if (d.equals(trailer)) {
      info.defaultPassword = why
      break
    }
  }
  return info
}

const DER_CERT_EXT = /\.(der|cer|crt|cert)$/i

/** Magic-byte detectors: the only ones binary files reach. */
export function detectBinary(buf: Buffer, path: string, sight?: SightingSink): Detection[] {
  if (buf.length < 4 || isTrustStorePath(path)) return []
  const out: Detection[] = []
  const b0 = buf[0]
  if (b0 === 0xfe || b0 === 0xce) {
    const ks = parseJavaKeystore(buf)
    if (ks) out.push(javaKeystoreDetection(ks, buf))
  } else if (b0 === 0x30) {
    const p12 = parsePkcs12(buf)
    if (p12) out.push(pkcs12Detection(p12, buf))
    else if (DER_CERT_EXT.test(basename(path))) out.push(...derCertificate(buf, path, sight))
  }
  return out
}

function fp(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex')
}

function pkcs12Detection(info: Pkcs12Info, buf: Buffer): Detection {
  const mac = info.mac
  if (mac?.defaultPassword) {
    return {
      id: 'keystore.pkcs12-default-password', severity: 'high', category: 'private-key', rule: 'no-credentials',
      title: 'PKCS#12 keystore protected by a default password', secret: fp(buf),
      evidence: `PKCS#12 (${buf.length} bytes, ${mac.hash} MAC) opens with ${mac.defaultPassword}`,
    }
  }
  const why = !mac ? 'no MAC: integrity not protected, default passwords not tested' :
    !mac.probed ? `MAC ${mac.hash} with ${mac.iterations} iterations: default passwords not tested` :
    'password is not one of the well-known defaults'
  return {
    id: 'keystore.pkcs12', severity: 'medium', category: 'private-key', rule: 'no-credentials',
    title: 'PKCS#12 keystore', secret: fp(buf), evidence: `PKCS#12 (${buf.length} bytes)`, note: why,
  }
}

function javaKeystoreDetection(ks: JavaKeystoreInfo, buf: Buffer): Detection {
  const name = ks.format.toUpperCase()
  const contents = `${ks.privateKeys} private key(s), ${ks.secretKeys ? `${ks.secretKeys}+ secret key(s), ` : ''}${ks.trustedCerts} trusted cert(s)`
  const holdsKeys = ks.privateKeys > 0 || ks.secretKeys > 0
  if (holdsKeys && ks.defaultPassword) {
    return {
      id: `keystore.${ks.format}-default-password`, severity: 'high', category: 'private-key', rule: 'no-credentials',
      title: `${name} keystore protected by a default password`, secret: fp(buf),
      evidence: `${name}: ${contents}; opens with ${ks.defaultPassword}`,
    }
  }
  return {
    id: `keystore.${ks.format}`, severity: holdsKeys ? 'medium' : 'low', category: 'private-key', rule: 'no-credentials',
    title: holdsKeys ? `${name} keystore with keys` : `${name} truststore (certificates only)`, secret: fp(buf),
    evidence: `${name}: ${contents}`,
  }
}

function derCertificate(buf: Buffer, path: string, sight?: SightingSink): Detection[] {
  try {
    const c = new X509Certificate(buf)
    const info = certInfo(c)
    const leaf = sight && certSighting(c, info, undefined, false)
    if (leaf) sight(leaf)
    const h = certificateHit(new LineIndex(''), path, info, 0, 0)
    if (!h) return []
    const [d] = stripHits([h])
    if (!d) return []
    delete d.line
    return [d]
  } catch {
    return []
  }
}
