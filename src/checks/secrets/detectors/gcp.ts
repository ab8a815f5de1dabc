import {redact} from '../../../findings/finding.js'
import type {Detector} from '../detector.js'
import {B, E, lowVariety, maskedCheck, runRules, type TokenRule} from '../tokens.js'
import {hit, type Hit, type LineIndex} from '../util.js'

const RULES: TokenRule[] = [
  {
    id: 'secret.google-api-key', title: 'Google API key', severity: 'medium', needles: ['AIza'],
    re: new RegExp(`${B}AIza[0-9A-Za-z_-]{35}${E}`, 'g'),
    check: (t) => (lowVariety(t.slice(4), 10) ? {keep: false} : maskedCheck(t)),
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
  id: 'gcp', version: 3, needles: ['AIza', 'service_account'],
  detect: (text, ctx) => [...runRules(RULES, text, ctx.lines, ctx.present), ...(ctx.present.has('service_account') ? detectGcp(text, ctx.lines) : [])],
}
