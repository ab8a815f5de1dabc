import {X509Certificate} from 'node:crypto'
import type {KeyBlock} from './private-keys.js'
import {basename, hit, type Hit, type LineIndex} from './util.js'

/** Where distributions and language runtimes keep the public trust store: certificates there are not findings. */
export function isTrustStorePath(path: string): boolean {
  if (/^\/etc\/ssl\/certs\//.test(path)) return true
  if (/^\/usr\/share\/ca-certificates\//.test(path)) return true
  if (/^\/etc\/ca-certificates\//.test(path)) return true
  if (/^\/etc\/pki\//.test(path) && !isLocalAnchorPath(path)) return true
  if (/^\/usr\/share\/pki\//.test(path)) return true
  if (/^\/usr\/lib\/ssl\/certs\//.test(path)) return true
  if (/^\/etc\/ssl\/(cert\.pem|ca-bundle\.pem)$/.test(path)) return true
  const b = basename(path)
  if (b === 'cacert.pem' && /\/(certifi|botocore|pip\/_vendor\/certifi|httplib2|tornado|requests)\//.test(path)) return true
  if (b === 'cacerts' && /\/lib\/security\/cacerts$|\/etc\/ssl\/certs\/java\/cacerts$/.test(path)) return true
  if (/^(ca-certificates\.crt|ca-bundle\.crt|ca-bundle\.trust\.crt|tls-ca-bundle\.pem|roots\.pem)$/.test(b)) return true
  return false
}

/** Where an administrator adds a CA to the image's trust store (update-ca-certificates / update-ca-trust input). */
function isLocalAnchorPath(path: string): boolean {
  return /^\/usr\/local\/share\/ca-certificates\//.test(path) || /^\/etc\/pki\/ca-trust\/source\/anchors\//.test(path) ||
    /^\/etc\/pki\/trust\/anchors\//.test(path)
}

const PEM_CERT = /-----BEGIN (?:TRUSTED )?CERTIFICATE-----[\s\S]*?-----END (?:TRUSTED )?CERTIFICATE-----/g
/** More CA certificates than this, and no key: a copy of a public bundle (vendored certifi, app-local ca bundle). */
const BUNDLE_THRESHOLD = 10
const MAX_CERTS_PER_FILE = 200

export interface CertInfo {
  subject: string
  issuer: string
  notAfter: Date
  ca: boolean
  selfSigned: boolean
  fingerprint256: string
}

export function certInfo(c: X509Certificate): CertInfo {
  let selfSigned = false
  try {
    selfSigned = c.subject === c.issuer && c.verify(c.publicKey)
  } catch {
    selfSigned = false
  }
  return {
    subject: oneLine(c.subject), issuer: oneLine(c.issuer), notAfter: new Date(c.validTo), ca: c.ca, selfSigned,
    fingerprint256: c.fingerprint256,
  }
}

function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ')
}

/** Facts only: whether the certificate has expired is judged at report time from `expires` (judgeTime). */
export function describeCert(i: CertInfo): string {
  const when = Number.isNaN(i.notAfter.getTime()) ? 'unknown' : i.notAfter.toISOString().slice(0, 10)
  const who = i.selfSigned ? 'self-signed' : `issuer ${i.issuer}`
  return `subject ${i.subject}, ${who}, not after ${when}`
}

export function certExpires(i: CertInfo): string | undefined {
  return Number.isNaN(i.notAfter.getTime()) ? undefined : i.notAfter.toISOString()
}

export function certificateHit(
  lines: LineIndex, path: string, i: CertInfo, start: number, end: number, pairedKey?: {matches: boolean | undefined},
): Hit | undefined {
  const base = {category: 'certificate' as const, secret: i.fingerprint256, start, end, priority: 6, expires: certExpires(i)}
  if (!i.ca && pairedKey) {
    const match = pairedKey.matches === true ? 'the key matches its public key' :
      pairedKey.matches === false ? 'a private key is in the same file (not this certificate\'s)' :
      'a private key is in the same file'
    return hit(lines, {
      ...base, id: 'cert.leaf-with-key', severity: pairedKey.matches === false ? 'medium' : 'high',
      title: 'Certificate shipped with its private key', evidence: `${describeCert(i)}; ${match}`,
    })
  }
  if (!i.ca) return undefined
  if (isLocalAnchorPath(path)) {
    return hit(lines, {
      ...base, id: 'cert.added-trust-anchor', severity: 'low', title: 'CA certificate added to the trust store',
      evidence: describeCert(i), note: 'a locally added CA: connections the image makes will trust it',
    })
  }
  return hit(lines, {
    ...base, id: 'cert.private-ca', severity: 'medium', title: 'CA certificate outside the trust store',
    evidence: describeCert(i),
  })
}

/** Told of every leaf certificate outside the trust store, and whether this file already pairs it with a key. */
type LeafSink = (cert: X509Certificate, info: CertInfo, line: number, pairedInFile: boolean) => void

export function detectCertificates(text: string, path: string, lines: LineIndex, keys: KeyBlock[], onLeaf?: LeafSink): Hit[] {
  if (isTrustStorePath(path)) return []
  const certs: Array<{info: CertInfo; cert: X509Certificate; start: number; end: number}> = []
  PEM_CERT.lastIndex = 0
  for (const m of text.matchAll(PEM_CERT)) {
    if (certs.length >= MAX_CERTS_PER_FILE) break
    try {
      const cert = new X509Certificate(m[0])
      certs.push({info: certInfo(cert), cert, start: m.index, end: m.index + m[0].length})
    } catch {
      // Not parseable: a template or a truncated paste; nothing trustworthy to say about it.
    }
  }
  if (certs.length === 0) return []
  if (keys.length === 0 && certs.filter((c) => c.info.ca).length > BUNDLE_THRESHOLD) return []
  const out: Hit[] = []
  for (const c of certs) {
    let paired: {matches: boolean | undefined} | undefined
    if (!c.info.ca && keys.some((k) => !k.encrypted)) {
      const loaded = keys.filter((k) => k.key)
      const matches = loaded.length === 0 ? undefined : loaded.some((k) => k.key !== undefined && safeCheck(c.cert, k))
      paired = {matches}
    }
    const h = certificateHit(lines, path, c.info, c.start, c.end, paired)
    if (h) out.push(h)
    if (!c.info.ca) onLeaf?.(c.cert, c.info, lines.lineOf(c.start), h?.id === 'cert.leaf-with-key')
  }
  return out
}

function safeCheck(cert: X509Certificate, k: KeyBlock): boolean {
  try {
    return k.key !== undefined && cert.checkPrivateKey(k.key)
  } catch {
    return false
  }
}
