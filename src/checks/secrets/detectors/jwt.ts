import {ruleDetector, type Verdict} from '../tokens.js'

function json(part: string | undefined): unknown {
  try {
    return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
}

/**
 * Header and claims of a JWS. The header must be JSON with `alg` (or a JWT `typ`); `exp` is kept as a fact
 * (`expires`) and judged when the report is made. A token with no signature, or `alg: none`, is reported low: it
 * authenticates only against a server that accepts unsigned tokens.
 */
function jwtCheck(token: string): Verdict {
  const [h, p, sig] = token.split('.')
  const header = json(h)
  if (typeof header !== 'object' || header === null) return mangled(h, p, sig)
  const alg = (header as {alg?: unknown}).alg
  const typ = (header as {typ?: unknown}).typ
  if (typeof alg !== 'string' && !(typeof typ === 'string' && /jwt/i.test(typ))) return {keep: false}
  const payload = json(p)
  const exp = typeof payload === 'object' && payload !== null ? (payload as {exp?: unknown}).exp : undefined
  const date = typeof exp === 'number' && Number.isFinite(exp) ? new Date(exp * 1000) : undefined
  const expires = date && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined
  const name = typeof alg === 'string' ? alg : 'unknown-alg'
  if (!sig || name.toLowerCase() === 'none') {
    return {severity: 'low', note: 'unsigned token: usable only where a server accepts alg none', expires}
  }
  return expires ? {note: `signed ${name} token`, expires} : {note: `signed ${name} token without expiry`}
}

/**
 * A header that opens like a JOSE header (`{"alg":`) but is not JSON, over JSON claims and a signature: a token
 * that was hand-edited or damaged in a copy. It may still be the live token with one byte changed; kept low.
 */
function mangled(h: string | undefined, p: string | undefined, sig: string | undefined): Verdict {
  const text = Buffer.from(h ?? '', 'base64url').toString('latin1')
  const claims = json(p)
  if (!sig || !/^\{\s*"(?:alg|typ|kid)"\s*:/.test(text) || typeof claims !== 'object' || claims === null) return {keep: false}
  return {severity: 'low', note: 'the header does not decode to JSON: a damaged or hand-edited token'}
}

export const jwtDetector = ruleDetector('jwt', 4, [
  {
    id: 'secret.jwt', title: 'JSON Web Token', severity: 'medium', needles: ['eyJ'],
    // Wherever it sits: assigned in env files, YAML, code, headers or URLs; the boundaries keep it whole.
    re: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]{16,}|\.(?![A-Za-z0-9_-]))?(?![A-Za-z0-9_-])/g,
    // A JWT is often embedded in another provider's token; the provider rule names it better.
    check: jwtCheck, priority: 20,
  },
])
