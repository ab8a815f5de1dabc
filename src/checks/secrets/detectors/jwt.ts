import {ruleDetector, type Verdict} from '../tokens.js'

/** Header and claims of a JWS; `exp` is kept as a fact (`expires`) and judged when the report is made. */
export function jwtCheck(token: string): Verdict {
  const [h, p] = token.split('.')
  try {
    const header: unknown = JSON.parse(Buffer.from(h ?? '', 'base64url').toString('utf8'))
    if (typeof header !== 'object' || header === null || !('alg' in header)) return {keep: false}
    const alg = (header as {alg: unknown}).alg
    if (typeof alg !== 'string' || alg.toLowerCase() === 'none') return {keep: false}
    let exp: unknown
    try {
      const payload: unknown = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8'))
      if (typeof payload === 'object' && payload !== null) exp = (payload as {exp?: unknown}).exp
    } catch {
      // An opaque payload is allowed (JWE-like or non-JSON claims); the header decided.
    }
    const date = typeof exp === 'number' && Number.isFinite(exp) ? new Date(exp * 1000) : undefined
    if (date && !Number.isNaN(date.getTime())) return {note: `signed ${alg} token`, expires: date.toISOString()}
    return {note: `signed ${alg} token without expiry`}
  } catch {
    return {keep: false}
  }
}

export const jwtDetector = ruleDetector('jwt', 1, [
  {
    id: 'secret.jwt', title: 'Signed JSON Web Token', severity: 'medium', needles: ['eyJ'],
    re: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}(?![A-Za-z0-9_-])/g,
    // A JWT is often embedded in another provider's token; the provider rule names it better.
    check: jwtCheck, priority: 20,
  },
])
