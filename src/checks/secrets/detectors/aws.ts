import {redact} from '../../../findings/finding.js'
import type {Detector} from '../detector.js'
import {B, maskedCheck, runRules, type TokenRule} from '../tokens.js'
import {hit, isPlaceholder, shannon, type Hit, type LineIndex} from '../util.js'

const NEEDLES: readonly string[] = ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'A3T', 'ccess_key', 'ccessKey', 'CCESS_KEY']

const AWS_ID = /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])/g
const AWS_SECRET_NEAR = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g
/** A secret access key assigned by name: the name makes a single 40-char value enough. */
const AWS_SECRET_NAMED =
  /(?:aws_?)?secret_?access_?key|aws_?secret_?key|secretAccessKey|AWS_SECRET_ACCESS_KEY|SecretAccessKey/gi
// `=`, `:`, `:=`, `=>`, JSON and YAML quoting, and a CLI flag's space (`--aws-secret-access-key …`).
const NAMED_VALUE = /^["']?\s*(?::=|=>|=|:|[ \t])\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/

/** How far from an access key id a secret key is looked for (credentials files, ENV blocks, JSON objects). */
const PAIR_WINDOW = 600

function plausibleAwsSecret(s: string): boolean {
  return /[A-Z]/.test(s) && /[a-z]/.test(s) && /[0-9]/.test(s) && shannon(s) >= 4.0
}

function detectAws(text: string, lines: LineIndex): Hit[] {
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
      // The secret's own bytes belong to this finding too: claimed, so no other rule reports them, but not repeated.
      out.push({...hit(lines, {
        id: 'secret.aws-access-key', severity: 'critical', category: 'secret', title: 'AWS access key pair',
        secret: secret.value, start: secret.start, end: secret.start + 40, priority: 3,
      }), shadow: true})
      continue
    }
    const masked = /X{6,}/.test(id) || new Set(id.slice(4)).size < 4
    out.push(hit(lines, {
      id: 'secret.aws-access-key-id', severity: masked ? 'info' : 'medium', category: 'secret', note: masked ? 'masked or template value' : undefined,
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

/** Amazon Bedrock API keys: `ABSK` + base64 of "BedrockAPIKey-…", and presigned short-term keys. */
const BEDROCK: TokenRule[] = [
  {
    id: 'secret.aws-bedrock-key', title: 'Amazon Bedrock API key', severity: 'high', needles: ['ABSKQmVkcm9ja0FQSUtleS'],
    re: new RegExp(`${B}ABSKQmVkcm9ja0FQSUtleS[A-Za-z0-9+/]{100,}={0,2}(?![A-Za-z0-9+/=])`, 'g'),
    check: (t) => (t.length > 200 ? {keep: false} : maskedCheck(t)),
  },
  {
    id: 'secret.aws-bedrock-key', title: 'Amazon Bedrock API key (short-term)', severity: 'high', needles: ['bedrock-api-key-'],
    re: new RegExp(`${B}bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=%]{60,}`, 'g'),
  },
]

export const awsDetector: Detector = {
  id: 'aws', version: 3, needles: [...NEEDLES, 'ABSKQmVkcm9ja0FQSUtleS', 'bedrock-api-key-'],
  detect: (text, ctx) => [...detectAws(text, ctx.lines), ...runRules(BEDROCK, text, ctx.lines, ctx.present)],
}
