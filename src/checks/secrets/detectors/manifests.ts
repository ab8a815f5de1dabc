import {redact} from '../../../findings/finding.js'
import type {Detector} from '../detector.js'
import {basename, hit, isPlaceholder, type Hit, type LineIndex} from '../util.js'

const KIND_NEEDLES = ['kind: Secret', 'kind: secret', 'kind: "Secret"', "kind: 'Secret'", 'kind: "secret"', "kind: 'secret'",
  'kind:Secret']
const KIND_SECRET = /^[ \t]*kind:[ \t]*["']?secret["']?[ \t]*$/im
// A key under `data:` (one or more indented `name: base64` lines); a block scalar (`|`, `>`) continues below.
// Each alternative consumes exactly one whole line, so a failed match cannot backtrack into exponential splits.
const DATA_BLOCK = /^([ \t]*)data:[ \t]*\n((?:\1[ \t]+[^\n]*\n|[ \t]*#[^\n]*\n|[ \t]*\n)+)/gm
const ENTRY = /^[ \t]+([A-Za-z0-9._-]+):[ \t]*(?:["']([^"'\n]*)["']|([|>][-+]?)[ \t]*\n[ \t]+([A-Za-z0-9+/=]+)|([^\s#]+))/gm

function isBase64(v: string): boolean {
  return v.length >= 12 && v.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(v)
}

/**
 * A Kubernetes `kind: Secret` with base64 values under `data:` (stringData is plain text and left to the other
 * rules). Templates (`{{ }}`), empty values and short ones (`YmFyCg==` is "bar") are not reported.
 */
function kubernetesSecrets(text: string, lines: LineIndex): Hit[] {
  if (!KIND_SECRET.test(text) || !/apiVersion:/.test(text)) return []
  const out: Hit[] = []
  for (const block of `${text}\n`.matchAll(DATA_BLOCK)) {
    const body = block[2] ?? ''
    const base = block.index + block[0].length - body.length
    for (const e of body.matchAll(ENTRY)) {
      const value = e[2] ?? e[4] ?? e[5] ?? ''
      if (!isBase64(value)) continue
      const decoded = Buffer.from(value, 'base64').toString('latin1')
      // A private key is the private-key rule's (it names the key); a certificate or public key is no secret.
      if (/-----BEGIN [A-Z ]*PRIVATE KEY|^-----BEGIN (?:CERTIFICATE|PUBLIC KEY|TRUSTED CERTIFICATE)/.test(decoded)) continue
      const start = base + e.index + e[0].lastIndexOf(value)
      out.push(hit(lines, {
        id: 'secret.kubernetes-secret', severity: 'high', category: 'secret', title: 'Kubernetes Secret manifest with data',
        secret: value, start, end: start + value.length, priority: 9, evidence: `data.${e[1]}: ${redact(value)}`,
      }))
    }
  }
  return out
}

const NUGET_PASSWORD = /<add\s+key=["'](?:ClearTextPassword|Password)["']\s+value=["']([^"']+)["']/gi

/** NuGet keeps feed credentials in nuget.config; `ClearTextPassword` means what it says. */
function nugetPasswords(text: string, lines: LineIndex, path: string): Hit[] {
  if (basename(path).toLowerCase() !== 'nuget.config') return []
  const out: Hit[] = []
  for (const m of text.matchAll(NUGET_PASSWORD)) {
    const v = m[1] ?? ''
    if (v.length < 6 || isPlaceholder(v) || /^%[^%]+%$|^\$\(|^\$\{/.test(v)) continue
    const start = m.index + m[0].lastIndexOf(v)
    out.push(hit(lines, {
      id: 'secret.nuget-password', severity: 'high', category: 'secret', title: 'NuGet feed password',
      secret: v, start, end: start + v.length, priority: 6, evidence: `nuget.config password ${redact(v)}`,
    }))
  }
  return out
}

export const manifestsDetector: Detector = {
  id: 'manifests', version: 1, needles: [...KIND_NEEDLES, 'ClearTextPassword', 'key="Password"', "key='Password'"],
  detect: (text, ctx) => [
    ...(KIND_NEEDLES.some((n) => ctx.present.has(n)) ? kubernetesSecrets(text, ctx.lines) : []),
    ...nugetPasswords(text, ctx.lines, ctx.path),
  ],
}
