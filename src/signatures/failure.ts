import {createHash} from 'node:crypto'

/**
 * Why a signature was not accepted. A closed set so callers (policy, reports, the exit code) can branch on it;
 * each step of the pipeline fails with exactly one of these.
 */
export type SigFailureCode =
  | 'no-signature'
  | 'bad-bundle'
  | 'key-mismatch'
  | 'signature-invalid'
  | 'no-identity'
  | 'identity-mismatch'
  | 'issuer-mismatch'
  | 'cert-invalid'
  | 'cert-expired'
  /** A Notation signature past its signer-set `io.cncf.notary.expiry`. */
  | 'signature-expired'
  | 'tlog-missing'
  | 'tlog-invalid'
  | 'timestamp-invalid'
  | 'digest-mismatch'
  | 'subject-mismatch'
  | 'payload-type'
  | 'bad-payload'
  | 'unsupported'

/**
 * Thrown by the small steps and caught once at the top of each pipeline, which turns it into a typed result.
 * Not an ImgvetError on purpose: "signature did not verify" is a verdict, not a failure to run.
 */
export class SigFailure extends Error {
  readonly code: SigFailureCode

  constructor(code: SigFailureCode, message: string, options?: {cause?: unknown}) {
    super(message, options)
    this.name = 'SigFailure'
    this.code = code
  }
}

export function isSigFailure(e: unknown): e is SigFailure {
  return e instanceof SigFailure
}

/** Who signed and where it was logged; present only when verification succeeded. */
export interface Signer {
  kind: 'key' | 'keyless'
  /** Certificate SAN (URI or email) for keyless signatures. */
  identity?: string
  /** OIDC issuer from the Fulcio extension (1.3.6.1.4.1.57264.1.8, falling back to .1.1). */
  issuer?: string
  /** Signer certificate validity, for keyless signatures. */
  certNotBefore?: Date
  certNotAfter?: Date
}

export interface LogEntryRef {
  logIndex: string
  /** Seconds since the epoch, as the log recorded it (0 for Rekor v2 entries, which carry no integrated time). */
  integratedTime: number
  /** Hex SHA-256 of the log's public key. */
  logID: string
  kind: string
  version: string
}

export interface Verified {
  ok: true
  signer: Signer
  tlog: LogEntryRef[]
  /** sha256 of the signed artifact or of the DSSE payload, `sha256:<hex>`. */
  signedDigest: string
  /** For DSSE bundles: the envelope's payload type and bytes, for the caller to read the statement. */
  dsse?: {payloadType: string; payload: Buffer}
}

export interface NotVerified {
  ok: false
  code: SigFailureCode
  message: string
}

export type VerifyResult = Verified | NotVerified

export function fail(code: SigFailureCode, message: string): never {
  throw new SigFailure(code, message)
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}

/** Accept `sha256:<64 hex>` only; anything else is not a digest we can bind to. */
export function parseSha256Digest(s: string): Buffer | undefined {
  const m = /^sha256:([0-9a-f]{64})$/.exec(s)
  return m?.[1] ? Buffer.from(m[1], 'hex') : undefined
}
