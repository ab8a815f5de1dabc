import {redact} from '../../../findings/finding.js'
import type {Detector} from '../detector.js'
import {hit, type Hit, type LineIndex} from '../util.js'

const AZURE_CONN = /AccountKey=([A-Za-z0-9+/]{40,}={0,2})/g
const AZURE_SIG = /(?<=[?&])sig=([A-Za-z0-9%+/=]{20,})/g

export function detectAzure(text: string, lines: LineIndex): Hit[] {
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
  id: 'azure', version: 1, needles: ['AccountKey=', 'sig='],
  detect: (text, ctx) => detectAzure(text, ctx.lines),
}
