import {redact} from '../../../findings/finding.js'
import type {Detector} from '../detector.js'
import {hit, isPlaceholder, shannon, type Hit, type LineIndex} from '../util.js'

const NEEDLES: readonly string[] = ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'A3T', 'ccess_key', 'ccessKey', 'CCESS_KEY']

const AWS_ID = /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])/g
const AWS_SECRET_NEAR = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g
/** A secret access key assigned by name: the name makes a single 40-char value enough. */
const AWS_SECRET_NAMED =
  /(?:aws_?)?secret_?access_?key|aws_?secret_?key|secretAccessKey|AWS_SECRET_ACCESS_KEY|SecretAccessKey/gi
const NAMED_VALUE = /^["']?\s*(?::=|=>|=|:)\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/

/** How far from an access key id a secret key is looked for (credentials files, ENV blocks, JSON objects). */
const PAIR_WINDOW = 600

function plausibleAwsSecret(s: string): boolean {
  return /[A-Z]/.test(s) && /[a-z]/.test(s) && /[0-9]/.test(s) && shannon(s) >= 4.0
}

export function detectAws(text: string, lines: LineIndex): Hit[] {
  const out: Hit[] = []
  const namedSecrets: Array<{value: string; start: number}> = []
  for (const m of text.matchAll(AWS_SECRET_NAMED)) {
    const after = text.slice(m.index + m[0].length, m.index + m[0].length + 60)
    const v = NAMED_VALUE.exec(after)
    if (!v?.[1]) continue
    const start = m.index + m[0].length + after.indexOf(v[1])
    namedSecrets.push({value: v[1], start})
  }
  const pairedSecrets = new Set<number>()
  for (const m of text.matchAll(AWS_ID)) {
    const id = m[0]
    const lo = Math.max(0, m.index - PAIR_WINDOW)
    const window = text.slice(lo, m.index + id.length + PAIR_WINDOW)
    let secret: {value: string; start: number} | undefined
    for (const s of namedSecrets) {
      if (s.start >= lo && s.start < lo + window.length) secret = s
    }
    if (!secret) {
      for (const c of window.matchAll(AWS_SECRET_NEAR)) {
        if (plausibleAwsSecret(c[0])) {
          secret = {value: c[0], start: lo + c.index}
          break
        }
      }
    }
    if (secret) {
      pairedSecrets.add(secret.start)
      out.push(hit(lines, {
        id: 'secret.aws-access-key', severity: 'critical', category: 'secret', title: 'AWS access key pair',
        secret: secret.value, start: m.index, end: m.index + id.length,
        evidence: `access key id ${redact(id)}, secret key ${redact(secret.value)}`, priority: 2,
      }))
      // The secret's own bytes are covered by this finding too.
      out.push(hit(lines, {
        id: 'secret.aws-access-key', severity: 'critical', category: 'secret', title: 'AWS access key pair',
        secret: secret.value, start: secret.start, end: secret.start + 40, priority: 3,
        evidence: `access key id ${redact(id)}, secret key ${redact(secret.value)}`,
      }))
      continue
    }
    out.push(hit(lines, {
      id: 'secret.aws-access-key-id', severity: 'medium', category: 'secret',
      title: 'AWS access key id (no secret key found next to it)', secret: id, start: m.index, end: m.index + id.length,
      priority: 4,
    }))
  }
  for (const s of namedSecrets) {
    if (pairedSecrets.has(s.start) || isPlaceholder(s.value)) continue
    out.push(hit(lines, {
      id: 'secret.aws-secret-key', severity: 'high', category: 'secret', title: 'AWS secret access key',
      secret: s.value, start: s.start, end: s.start + s.value.length, priority: 4,
    }))
  }
  return dedupeSame(out)
}

function dedupeSame(hits: Hit[]): Hit[] {
  const seen = new Set<string>()
  return hits.filter((h) => {
    const k = `${h.id}\0${h.start}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

export const awsDetector: Detector = {
  id: 'aws', version: 1, needles: NEEDLES,
  detect: (text, ctx) => detectAws(text, ctx.lines),
}
