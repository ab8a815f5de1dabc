import {redact} from '../../../findings/finding.js'
import type {Detector} from '../detector.js'
import {B, E, lowVariety, maskedCheck, runRules, type TokenRule, type Verdict} from '../tokens.js'
import {hit, type Hit, type LineIndex} from '../util.js'

/** OAuth tokens are random base64url: all three letter-and-digit classes, never words joined by dashes. */
function oauthCheck(t: string): Verdict {
  const body = t.slice(t.indexOf('.') + 1 || 4)
  return /\d/.test(body) && /[a-z]/.test(body) && /[A-Z]/.test(body) && !lowVariety(body, 14) ? maskedCheck(t) : {keep: false}
}

const RULES: TokenRule[] = [
  {
    id: 'secret.google-api-key', title: 'Google API key', severity: 'medium', needles: ['AIza'],
    re: new RegExp(`${B}AIza[0-9A-Za-z_-]{35}${E}`, 'g'),
    check: (t) => (lowVariety(t.slice(4), 10) ? {keep: false} : maskedCheck(t)),
  },
  {
    id: 'secret.google-oauth-secret', title: 'Google OAuth client secret', severity: 'high', needles: ['GOCSPX-'],
    re: new RegExp(`${B}GOCSPX-[A-Za-z0-9_-]{28}${E}`, 'g'), check: (t) => (lowVariety(t.slice(7), 10) ? {keep: false} : maskedCheck(t)),
  },
  {
    // Access tokens live an hour; refresh tokens (`1//0…`) mint new ones until revoked.
    id: 'secret.google-oauth-token', title: 'Google OAuth access token', severity: 'medium', needles: ['ya29.'],
    re: /(?<![A-Za-z0-9_.-])ya29\.[A-Za-z0-9_-]{30,300}(?![A-Za-z0-9_-])/g, check: oauthCheck,
  },
  {
    id: 'secret.google-oauth-token', title: 'Google OAuth refresh token', severity: 'high', needles: ['1//0'],
    re: /(?<![A-Za-z0-9_\/-])1\/\/0[A-Za-z0-9_-]{40,200}(?![A-Za-z0-9_-])/g, check: oauthCheck,
  },
  {
    id: 'secret.firebase-server-key', title: 'Firebase Cloud Messaging server key', severity: 'high', needles: [':APA91b'],
    re: /(?<![A-Za-z0-9_-])AAAA[A-Za-z0-9_-]{7}:APA91b[A-Za-z0-9_-]{120,160}(?![A-Za-z0-9_-])/g, check: maskedCheck,
  },
]

/** A service-account key file: `"type": "service_account"` plus a real `private_key` (not `...` or DUMMY). */
function detectGcp(text: string, lines: LineIndex): Hit[] {
  if (!/"type"\s*:\s*"service_account"/.test(text)) return []
  const m = /"private_key"\s*:\s*"(-----BEGIN [A-Z ]*PRIVATE KEY-----[^"]*)"/.exec(text)
  if (!m?.[1]) return []
  const body = m[1].replace(/-{3,}[A-Z ]+-{3,}/g, '').replace(/\\n|\s/g, '')
  if (!/^[A-Za-z0-9+/=]{60,}$/.test(body)) return []
  const email = /"client_email"\s*:\s*"([^"]+)"/.exec(text)?.[1]
  const start = m.index
  return [hit(lines, {
    id: 'secret.gcp-service-account', severity: 'critical', category: 'secret', title: 'GCP service account key',
    secret: m[1], start, end: start + m[0].length, priority: 1,
    evidence: `service account ${email ?? '(no client_email)'}, private key ${redact(body)}`,
  })]
}


export const gcpDetector: Detector = {
  id: 'gcp', version: 4, needles: ['AIza', 'service_account', ...RULES.slice(1).flatMap((r) => r.needles)],
  detect: (text, ctx) => [...runRules(RULES, text, ctx.lines, ctx.present), ...(ctx.present.has('service_account') ? detectGcp(text, ctx.lines) : [])],
}
