import {ImgvetError} from '../errors.js'
import {fail} from './failure.js'

/**
 * Who must have signed a keyless signature. Exactly one of subject/subjectRegExp and one of issuer/issuerRegExp.
 * Regular expressions are always matched against the WHOLE value: `.../x.yml@refs/heads/main` must not accept
 * `.../x.yml@refs/heads/main-evil`, which sigstore-js's own unanchored SAN check would.
 */
export interface IdentityPolicy {
  subject?: string
  subjectRegExp?: string
  issuer?: string
  issuerRegExp?: string
}

export interface CompiledIdentityPolicy {
  describeSubject: string
  describeIssuer: string
  subject: (s: string) => boolean
  issuer: (s: string) => boolean
}

/** Validate and compile once; a bad pattern is the user's input error, not a verification failure. */
export function compileIdentityPolicy(p: IdentityPolicy): CompiledIdentityPolicy {
  const subject = matcher('subject', p.subject, p.subjectRegExp)
  const issuer = matcher('issuer', p.issuer, p.issuerRegExp)
  return {subject: subject.test, issuer: issuer.test, describeSubject: subject.describe, describeIssuer: issuer.describe}
}

function matcher(name: string, exact: string | undefined, pattern: string | undefined): {test: (s: string) => boolean; describe: string} {
  if (exact !== undefined && pattern !== undefined) {
    throw new ImgvetError('usage', `give either the ${name} or a ${name} regular expression, not both`)
  }
  if (exact !== undefined) {
    if (exact === '') throw new ImgvetError('usage', `the expected ${name} is empty`)
    return {test: (s) => s === exact, describe: JSON.stringify(exact)}
  }
  if (pattern !== undefined) {
    let re: RegExp
    try {
      // Non-capturing group so an alternation like `a|b` stays anchored on both sides.
      re = new RegExp(`^(?:${pattern})$`, 'u')
    } catch (e) {
      throw new ImgvetError('usage', `invalid ${name} regular expression: ${(e as Error).message}`)
    }
    return {test: (s) => re.test(s), describe: `/^(?:${pattern})$/`}
  }
  // A keyless policy without both halves would accept anyone who can get a Fulcio certificate.
  throw new ImgvetError('usage', `a keyless policy needs an expected ${name} (exact or regular expression)`)
}

/** Checked on the identity taken from the certificate that the chain and log steps already verified. */
export function checkIdentity(policy: CompiledIdentityPolicy, found: {identity?: string; issuer?: string}): void {
  if (found.identity === undefined || found.identity === '') {
    fail('no-identity', `signing certificate has no SAN identity; expected ${policy.describeSubject}`)
  }
  if (!policy.subject(found.identity)) {
    fail('identity-mismatch', `certificate identity ${JSON.stringify(found.identity)} does not match expected ${policy.describeSubject}`)
  }
  if (found.issuer === undefined || found.issuer === '') {
    fail('issuer-mismatch', `signing certificate has no OIDC issuer extension; expected ${policy.describeIssuer}`)
  }
  if (!policy.issuer(found.issuer)) {
    fail('issuer-mismatch', `certificate OIDC issuer ${JSON.stringify(found.issuer)} does not match expected ${policy.describeIssuer}`)
  }
}
