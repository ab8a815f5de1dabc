import {opensshShape} from './key-structure.js'
import type {KeyBlock} from './private-keys.js'

/**
 * Private keys that are not armoured in the text itself: a PEM file base64-encoded (Kubernetes Secrets, Helm
 * values, CI variables: `LS0tLS1CRUdJTi...`) and an OpenSSH key given as its bare base64 blob (`b3BlbnNzaC1rZXktdjE`).
 */

/**
 * `plain` base64-encoded at each of the three byte alignments a 3-byte group allows, keeping only the characters
 * its own bytes decide: `skip` is how many characters of the group come before the needle, `drop` how many decoded
 * bytes come before `plain`.
 */
function aligned(plain: string): Array<{needle: string; skip: number; drop: number; plain: string}> {
  return [0, 1, 2].map((p) => {
    const enc = Buffer.concat([Buffer.alloc(p), Buffer.from(plain, 'latin1')]).toString('base64')
    const from = Math.ceil((8 * p) / 6)
    const to = Math.floor((8 * (p + plain.length)) / 6)
    return {needle: enc.slice(from, to), skip: from, drop: p, plain}
  })
}

const PEM_PLAIN = '-----BEGIN '
/** A PEM file base64-encoded, and that base64 encoded again (a value double-encoded into a Secret). */
const PEM_B64 = [...aligned(PEM_PLAIN), ...aligned(Buffer.from(PEM_PLAIN).toString('base64').slice(0, 14))]
const OPENSSH_B64 = 'b3BlbnNzaC1rZXktdjE'

/**
 * The walk's prefilter needles: a substring of each search needle above, cut so it starts with a character other
 * needles already start with. The prefilter is one alternation regex, and a needle with a new first character
 * (`L`, `b`) made it three times slower on ordinary text (measured: 7 us -> 21 us per 6 KiB).
 */
export const ENCODED_KEY_NEEDLES: readonly string[] = [
  'S0tLS1CRUdJTi', 'S0tQkVHSU4g', 'S0tLUJFR0lOI', 'TFMwdExTMUNSVWRKVG', 'TMHRMUzFDUlVkSlRp', 'TFMxQ1JVZEpUa', 'nNzaC1rZXktdjE',
]
/** Search needles, for the test that each prefilter needle stands for one. */
export const ENCODED_SEARCH_NEEDLES: readonly string[] = [...PEM_B64.map((p) => p.needle), OPENSSH_B64]

/** A base64-encoded key file is a few KiB; a run longer than this is cut (the key sits at its start). */
const MAX_RUN = 64 * 1024
/** Decodes per text, so a file full of needles costs a bounded amount of work. */
const MAX_DECODES = 16
/** base64 of base64 of a PEM still decodes; deeper nesting is not something people write. */
const MAX_DEPTH = 2

const B64 = /[A-Za-z0-9+/_-]/

function isB64(c: string | undefined): boolean {
  return c !== undefined && B64.test(c)
}

/**
 * Where a base64 run that starts at `start` ends. A run may wrap (`base64` without -w0 writes 76-char lines, YAML
 * indents them): a line break is crossed only when the line so far is long and the next line is base64 to its end.
 * Padding ends the run.
 */
function base64RunEnd(text: string, start: number): number {
  const limit = Math.min(text.length, start + MAX_RUN)
  let i = start
  let lineStart = start
  for (;;) {
    while (i < limit && isB64(text[i])) i++
    if (text[i] === '=') return text[i + 1] === '=' ? i + 2 : i + 1
    if (i >= limit || i - lineStart < 60) return i
    let j = i
    if (text.startsWith('\\n', j) || text.startsWith('\r\n', j)) j += 2
    else if (text[j] === '\n') j += 1
    else return i
    while (text[j] === ' ' || text[j] === '\t') j++
    let k = j
    while (k < limit && (isB64(text[k]) || text[k] === '=')) k++
    if (k === j || (k < text.length && !/[\r\n"',\\]/.test(text[k] ?? ''))) return i
    i = j
    lineStart = j
  }
}

function decodeRun(text: string, start: number, end: number): {raw: string; bytes: Buffer} {
  const raw = text.slice(start, end).replace(/\\n|\s/g, '')
  return {raw, bytes: Buffer.from(raw, 'base64')}
}

/** `armoured` finds the PEM blocks in decoded text (passed in: private-keys.ts imports this module). */
export function findEncodedKeys(
  text: string,
  known: readonly KeyBlock[],
  armoured: (t: string) => KeyBlock[],
  depth = 0,
): KeyBlock[] {
  const out: KeyBlock[] = []
  const covered = (at: number) => known.some((b) => at >= b.start && at < b.end) || out.some((b) => at >= b.start && at < b.end)
  let decodes = 0
  for (const {needle, skip, drop, plain} of PEM_B64) {
    for (let at = text.indexOf(needle); at !== -1 && decodes < MAX_DECODES; at = text.indexOf(needle, at + 1)) {
      const start = at - skip
      if (start < 0 || covered(start)) continue
      decodes++
      const end = base64RunEnd(text, start)
      const decoded = decodeRun(text, start, end).bytes.subarray(drop).toString('latin1')
      if (!decoded.startsWith(plain)) continue
      const inner = plain === PEM_PLAIN ? armoured(decoded) : []
      if (depth + 1 < MAX_DEPTH) inner.push(...findEncodedKeys(decoded, inner, armoured, depth + 1))
      for (const b of inner) {
        const via = b.via?.startsWith('base64') ? `base64 of ${b.via}` : `base64-encoded PEM${b.via ? `, ${b.via}` : ''}`
        out.push({...b, start, end, via})
      }
    }
  }
  for (let at = text.indexOf(OPENSSH_B64); at !== -1 && decodes < MAX_DECODES; at = text.indexOf(OPENSSH_B64, at + 1)) {
    // The magic opens the blob, so it starts a run: inside a longer base64 string it is a coincidence.
    if (covered(at) || isB64(text[at - 1])) continue
    decodes++
    const end = base64RunEnd(text, at)
    const {raw, bytes} = decodeRun(text, at, end)
    const s = opensshShape(bytes)
    if (s.shape === 'bad' || raw.length < 60) continue
    const b: KeyBlock = {
      kind: 'openssh', encrypted: s.encrypted ?? false, pem: raw, start: at, end, body: raw, shape: s.shape,
      via: 'bare base64 OpenSSH key',
    }
    if (s.why) b.why = s.why
    out.push(b)
  }
  return out
}
