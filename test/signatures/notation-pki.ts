// A throwaway X.509 PKI made with the real openssl, and Notary Project JWS envelopes signed with node:crypto, so the
// Notation verifier is tested on what Notation itself would produce rather than on hand-picked fragments.
import {constants, createPrivateKey, randomInt, sign, X509Certificate, type KeyObject} from 'node:crypto'
import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

export type KeyKind = 'ec256' | 'ec384' | 'rsa2048'

export interface Issued {
  certPem: string
  certFile: string
  key: KeyObject
  keyFile: string
}

let n = 0
const openssl = (args: string[]) => execFileSync('openssl', args, {stdio: ['ignore', 'pipe', 'pipe']})

function genKey(dir: string, kind: KeyKind): string {
  const file = join(dir, `key-${++n}.pem`)
  const opts = kind === 'rsa2048' ? ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'] : ['-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${kind === 'ec256' ? 'P-256' : 'P-384'}`]
  openssl(['genpkey', ...opts, '-out', file])
  return file
}

function issued(certFile: string, keyFile: string): Issued {
  return {certPem: readFileSync(certFile, 'utf8'), certFile, key: createPrivateKey(readFileSync(keyFile)), keyFile}
}

/** A self-signed root CA (basicConstraints CA, keyCertSign), valid for `days`. */
export function rootCa(dir: string, subject: string, kind: KeyKind = 'ec256', days = 30): Issued {
  const keyFile = genKey(dir, kind)
  const certFile = join(dir, `ca-${++n}.pem`)
  openssl(['req', '-x509', '-new', '-key', keyFile, '-out', certFile, '-days', String(days), '-subj', subject,
    '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  return issued(certFile, keyFile)
}

/** A certificate issued by `ca`; `ext` are openssl extension lines (default: a Notation code-signing leaf). */
export function issue(dir: string, ca: Issued, subject: string, o: {kind?: KeyKind; days?: number; ext?: string[]} = {}): Issued {
  const keyFile = genKey(dir, o.kind ?? 'ec256')
  const csr = join(dir, `csr-${++n}.pem`)
  const extFile = join(dir, `ext-${n}.cnf`)
  const certFile = join(dir, `cert-${n}.pem`)
  writeFileSync(extFile, (o.ext ?? ['basicConstraints=CA:false', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=codeSigning']).join('\n') + '\n')
  openssl(['req', '-new', '-key', keyFile, '-subj', subject, '-out', csr])
  openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', String(randomInt(1, 2 ** 47)),
    '-days', String(o.days ?? 10), '-extfile', extFile, '-out', certFile])
  return issued(certFile, keyFile)
}

export const CA_EXT = ['basicConstraints=critical,CA:true', 'keyUsage=critical,keyCertSign,cRLSign']

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')
const der = (pem: string) => new X509Certificate(pem).raw.toString('base64')
/** RFC 3339 without fractional seconds, as the spec recommends. */
export const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z')

export interface JwsOptions {
  alg?: string
  /** Merged over the default protected header; a key set to undefined is removed. */
  protected?: Record<string, unknown>
  payload?: unknown
}

/** A Notary Project JWS envelope (flattened JSON serialization) over `targetArtifact` = the given manifest digest. */
export function notationJws(signer: Issued, chain: readonly Issued[], digest: string, o: JwsOptions = {}): Buffer {
  const alg = o.alg ?? (signer.key.asymmetricKeyType === 'rsa' ? 'PS256' : 'ES256')
  const header: Record<string, unknown> = {
    alg,
    cty: 'application/vnd.cncf.notary.payload.v1+json',
    'io.cncf.notary.signingScheme': 'notary.x509',
    'io.cncf.notary.signingTime': rfc3339(new Date()),
    crit: ['io.cncf.notary.signingScheme'],
    ...o.protected,
  }
  for (const [k, v] of Object.entries(header)) if (v === undefined) delete header[k]
  const payload = o.payload ?? {targetArtifact: {mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 1234}}
  const prot = b64url(header)
  const body = b64url(payload)
  const hash = `sha${alg.slice(2)}`
  const input = Buffer.from(`${prot}.${body}`, 'ascii')
  const sig = alg.startsWith('PS')
    ? sign(hash, input, {key: signer.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8})
    : sign(hash, input, {key: signer.key, dsaEncoding: 'ieee-p1363'})
  return Buffer.from(JSON.stringify({
    payload: body,
    protected: prot,
    header: {x5c: chain.map((c) => der(c.certPem)), 'io.cncf.notary.signingAgent': 'imgvet-test/1.0'},
    signature: sig.toString('base64url'),
  }))
}
