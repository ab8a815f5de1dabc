import type {Detection} from '../check.js'
import type {KeySighting, SightingSink} from './key-pairs.js'

/**
 * What of a file's bytes the text rules read. Most files are UTF-8 and go through as they are; two kinds used to be
 * skipped as binary: UTF-16 text (Windows editors write `.env` and `.config` that way, with or without a BOM), and
 * a key file with junk or NUL bytes before its armour. Lines stay the file's own.
 */
interface TextPart {
  text: string
  /** Newlines in the file before `text` starts: a 1-based line in `text` plus this is the file's line. */
  lineBase: number
  /** The bytes `text` was decoded from as UTF-8, for the prefilter (which reads bytes faster than a string). */
  bytes?: Uint8Array
}

/** Enough of the start to tell UTF-16 from binary: mostly-ASCII UTF-16 has a NUL in every other byte. */
const SNIFF = 4096
/** How far past its armour a block may reach (an 8192-bit RSA key is about 6.5 KiB). */
const BLOCK_SPAN = 16 * 1024
const MAX_PARTS = 8

/** Compressed or archived bytes: their armour, if any, is not the file's (archives are opened by the walk). */
const PACKED: readonly Buffer[] = [
  Buffer.from('PK\x03\x04', 'latin1'),
  Buffer.from([0x1f, 0x8b]),
  Buffer.from([0x28, 0xb5, 0x2f, 0xfd]),
  Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]),
  Buffer.from('BZh', 'latin1'),
]

/** 'le' or 'be' when the bytes are UTF-16 (by BOM, or by where the NULs of mostly-ASCII text fall), else undefined. */
export function utf16Order(buf: Buffer): 'le' | 'be' | undefined {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return 'le'
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) return 'be'
  const n = Math.min(buf.length, SNIFF) & ~1
  if (n < 8) return undefined
  let evenNul = 0
  let oddNul = 0
  let printable = 0
  for (let i = 0; i < n; i += 2) {
    // Most binaries show it in the first bytes: give up as soon as a tenth of what was seen is unprintable.
    if (i >= 64 && i - 2 * printable > i / 10) return undefined
    const a = buf[i] ?? 0
    const b = buf[i + 1] ?? 0
    if (a === 0) evenNul++
    if (b === 0) oddNul++
    const c = a === 0 ? b : a
    if ((c >= 0x20 && c < 0x7f) || c === 9 || c === 10 || c === 13) printable++
  }
  const pairs = n / 2
  // Text, not a table of small 16-bit integers: the non-NUL half of each pair is a printable character.
  if (printable < pairs * 0.9) return undefined
  if (oddNul >= pairs * 0.9 && evenNul <= pairs * 0.05) return 'le'
  if (evenNul >= pairs * 0.9 && oddNul <= pairs * 0.05) return 'be'
  return undefined
}

function decodeUtf16(buf: Buffer, order: 'le' | 'be'): string {
  const hasBom = (order === 'le' && buf[0] === 0xff && buf[1] === 0xfe) || (order === 'be' && buf[0] === 0xfe && buf[1] === 0xff)
  const body = buf.subarray(hasBom ? 2 : 0, buf.length & ~1)
  if (order === 'le') return body.toString('utf16le')
  const swapped = Buffer.from(body)
  swapped.swap16()
  return swapped.toString('utf16le')
}

function countNewlines(buf: Buffer, end: number): number {
  let n = 0
  for (let i = buf.indexOf(10); i !== -1 && i < end; i = buf.indexOf(10, i + 1)) n++
  return n
}

/** [start, end) of each armoured private key in binary bytes, from its BEGIN line to the end of its END line. */
function keySpans(buf: Buffer): Array<[number, number]> {
  const spans: Array<[number, number]> = []
  const lineEnd = (at: number) => {
    const nl = buf.indexOf(10, at)
    return nl === -1 || nl > at + 200 ? Math.min(buf.length, at + 64) : nl + 1
  }
  const next = (needle: string, from: number) => buf.indexOf(needle, from, 'latin1')
  for (let at = next('PRIVATE KEY', 0); at !== -1 && spans.length < MAX_PARTS; at = next('PRIVATE KEY', at + 1)) {
    const lo = Math.max(0, at - 64)
    const pem = buf.lastIndexOf('-----BEGIN ', at, 'latin1')
    const ssh2 = buf.lastIndexOf('---- BEGIN ', at, 'latin1')
    const begin = Math.max(pem, ssh2)
    if (begin < lo) continue
    const end = buf.indexOf(pem > ssh2 ? '-----END ' : '---- END ', at, 'latin1')
    if (end === -1 || end > at + BLOCK_SPAN) continue
    spans.push([begin, lineEnd(end)])
    at = end
  }
  const PUTTY = 'PuTTY-User-Key-File-'
  for (let at = next(PUTTY, 0); at !== -1 && spans.length < MAX_PARTS; at = next(PUTTY, at + 1)) {
    const mac = buf.indexOf('Private-', buf.indexOf('Private-Lines:', at, 'latin1') + 1, 'latin1')
    if (mac === -1 || mac > at + BLOCK_SPAN) continue
    spans.push([at, lineEnd(mac)])
    at = mac
  }
  return spans.sort((x, y) => x[0] - y[0])
}

/**
 * Binary content with key armour inside (junk or NULs before a PEM block): each armoured block alone, as latin1
 * (armour and base64 are ASCII). Only the blocks: the rest of a binary is not text, and other rules would misread it.
 */
function armouredSpans(buf: Buffer): TextPart[] {
  if (PACKED.some((m) => buf.length >= m.length && buf.subarray(0, m.length).equals(m))) return []
  return keySpans(buf).map(([lo, hi]) => ({text: buf.toString('latin1', lo, hi), lineBase: countNewlines(buf, lo)}))
}

/**
 * The text(s) to scan in `buf`, or [] for binary content without key armour. `first`: this is the file's start
 * (a later window of a text file may hold a stray NUL and is text all the same).
 */
export function textParts(buf: Buffer, first: boolean, isBinary: (b: Buffer) => boolean): TextPart[] {
  if (!first) return [{text: buf.toString('utf8'), lineBase: 0, bytes: buf}]
  const bom = buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff))
  // Text without a BOM has no NUL, so the NUL-pattern sniff only ever runs on what looks binary.
  if (!bom && !isBinary(buf)) return [{text: buf.toString('utf8'), lineBase: 0, bytes: buf}]
  const order = utf16Order(buf)
  if (order) return [{text: decodeUtf16(buf, order), lineBase: 0}]
  return armouredSpans(buf)
}

/**
 * Whether textParts(buf, true, isBinary) is empty, without decoding anything: binary bytes that are not UTF-16 and
 * hold no key armour. Cheap enough for the walking thread, which skips such files before they go anywhere.
 */
export function holdsNoText(buf: Buffer, isBinary: (b: Buffer) => boolean): boolean {
  const bom = buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff))
  if (bom || !isBinary(buf) || utf16Order(buf)) return false
  if (PACKED.some((m) => buf.length >= m.length && buf.subarray(0, m.length).equals(m))) return true
  return keySpans(buf).length === 0
}

/** Run `detect` over each part, moving lines (of detections and key sightings) to the file's own. */
export function detectInParts(
  parts: readonly TextPart[],
  sight: SightingSink | undefined,
  detect: (text: string, sight?: SightingSink, bytes?: Uint8Array) => Detection[],
): Detection[] {
  return parts.flatMap(({text, lineBase, bytes}) => {
    if (lineBase === 0) return detect(text, sight, bytes)
    const moved = sight && ((k: Omit<KeySighting, 'path'>) => sight(k.line === undefined ? k : {...k, line: k.line + lineBase}))
    return detect(text, moved).map((d) => (d.line === undefined ? d : {...d, line: d.line + lineBase}))
  })
}
