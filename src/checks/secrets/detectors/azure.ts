import {redact} from '../../../findings/finding.js'
import type {Detector} from '../detector.js'
import {maskedCheck, runRules, type TokenRule} from '../tokens.js'
import {hit, type Hit, type LineIndex} from '../util.js'

const RULES: TokenRule[] = [
  {
    id: 'secret.azure-app-config', title: 'Azure App Configuration connection string', severity: 'high', needles: ['.azconfig.io'],
    re: /Endpoint=https:\/\/[A-Za-z0-9-]+\.azconfig\.io;Id=[^;\s"']{2,80};Secret=([A-Za-z0-9+/]{40,}={0,2})/g,
  },
  {
    // Entra ID client secrets: three characters, a digit, "Q~", then 31-34 more (Microsoft's documented shape).
    id: 'secret.azure-ad-client-secret', title: 'Azure AD (Entra ID) client secret', severity: 'high', needles: ['Q~'],
    re: /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])/g,
    check: (t) => (/~~/.test(t) ? {keep: false} : maskedCheck(t)),
  },
  {
    // A storage key is 64 random bytes: 88 base64 characters ending in "==", under a name that says so.
    id: 'secret.azure-storage-key', title: 'Azure storage account key', severity: 'critical', needles: ['ccountKey', 'ccount_key', 'CCOUNT_KEY'],
    re: /(?:storage|account)[_-]?key["']?\s*(?::=|=>|=|:)\s*["']?([A-Za-z0-9+/]{86}==)(?![A-Za-z0-9+/=])/gi,
  },
]

const AZURE_CONN = /AccountKey=([A-Za-z0-9+/]{40,}={0,2})/g
const AZURE_SIG = /(?<=[?&])sig=([A-Za-z0-9%+/=]{20,})/g

function detectAzure(text: string, lines: LineIndex): Hit[] {
  const out: Hit[] = []
  if (text.includes('AccountKey=')) {
    for (const m of text.matchAll(AZURE_CONN)) {
      const key = m[1] ?? ''
      const name = /AccountName=([A-Za-z0-9]+)/.exec(text.slice(Math.max(0, m.index - 300), m.index + 300))?.[1]
      out.push(hit(lines, {
        id: 'secret.azure-storage-key', severity: 'critical', category: 'secret', title: 'Azure storage account key',
        secret: key, start: m.index + 'AccountKey='.length, end: m.index + m[0].length, priority: 3,
        evidence: `account ${name ?? '(unknown)'}, AccountKey=${redact(key)}`,
      }))
    }
  }
  if (text.includes('sig=')) {
    for (const m of text.matchAll(AZURE_SIG)) {
      // The whole query string around sig=: a SAS also carries an expiry (se=) and a version (sv=).
      let lo = m.index
      while (lo > 0 && !/[\s"'<>`]/.test(text[lo - 1] ?? ' ')) lo--
      let hi = m.index + m[0].length
      while (hi < text.length && !/[\s"'<>`]/.test(text[hi] ?? ' ')) hi++
      const query = text.slice(lo, hi)
      if (!/[?&]se=|^se=/.test(query) || !/[?&]sv=|^sv=|[?&]sp=/.test(query)) continue
      const sig = m[1] ?? ''
      out.push(hit(lines, {
        id: 'secret.azure-sas-token', severity: 'high', category: 'secret', title: 'Azure shared access signature',
        secret: sig, start: lo, end: hi, priority: 3, evidence: `sig=${redact(tryDecode(sig))}`,
      }))
    }
  }
  return out
}

function tryDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

export const azureDetector: Detector = {
  id: 'azure', version: 3, needles: ['AccountKey=', 'sig=', ...new Set(RULES.flatMap((r) => r.needles))],
  detect: (text, ctx) => [...detectAzure(text, ctx.lines), ...runRules(RULES, text, ctx.lines, ctx.present)],
}
