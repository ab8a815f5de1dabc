import type {Detection, FileCheck} from '../check.js'
import type {WalkEntry} from '../../layers/entry.js'
import {composedVersion, type DetectContext, type Detector} from './detector.js'
import {DETECTORS} from './detectors/index.js'
import {credentialFileKind} from './credential-files.js'
import {detectInParts, holdsNoText, textParts} from './decode.js'
import {detectBinary} from './keystores.js'
import {Prefilter} from './needles.js'
import {applyNoise} from './noise.js'
import {findKeyBlocks, KEY_NEEDLES, type KeyBlock} from './private-keys.js'
import type {SightingSink} from './key-pairs.js'
import {LineIndex, resolveOverlaps, stripHits, type Hit} from './util.js'

/**
 * Text rules read a file in windows of 1 MiB, so memory stays bounded whatever the file's size. By default only
 * the first window is read (secrets live in config files, scripts and key files); the walk's maxTextBytes
 * (--max-text-size) reads further, window after overlapping window, and files cut at that cap are counted.
 */
export const TEXT_MAX_BYTES = 1024 * 1024
/** Keystores are small; a PKCS#12 larger than this is not recognised (its DER length no longer matches). */
const BINARY_MAX_BYTES = 1024 * 1024
const SNIFF_BYTES = 8 * 1024

/**
 * A list of detectors' prefilter (every needle and word of each), and for each detector the indexes of its needles
 * in it: whether a detector has work is a few byte reads, not a set lookup per needle.
 */
interface Prepared {
  prefilter: Prefilter
  needleIndexes: Int32Array[]
}

function prepare(detectors: readonly Detector[]): Prepared {
  const needles = [...new Set(detectors.flatMap((d) => d.needles))]
  const at = new Map(needles.map((n, i) => [n, i]))
  return {
    prefilter: new Prefilter(needles, [...new Set(detectors.flatMap((d) => d.words ?? []))]),
    needleIndexes: detectors.map((d) => Int32Array.from(d.needles, (n) => at.get(n) as number)),
  }
}

/**
 * Built on first use, for the registered detectors as for a caller's own list: a run whose layers all come from the
 * cache (adopt, a warm vet) never builds the automaton, a fifth of such a run's start-up.
 */
const PREPARED = new WeakMap<readonly Detector[], Prepared>()

function preparedFor(detectors: readonly Detector[]): Prepared {
  let p = PREPARED.get(detectors)
  if (!p) PREPARED.set(detectors, (p = prepare(detectors)))
  return p
}

/** Formats that are binary whatever their first 8 KiB say (some start with long ASCII headers). */
const BINARY_MAGIC: readonly Buffer[] = [
  Buffer.from([0x7f, 0x45, 0x4c, 0x46]), // ELF
  Buffer.from('PK\x03\x04', 'latin1'),
  Buffer.from([0x1f, 0x8b]),
  Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), // zstd
  Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), // xz
  Buffer.from('BZh', 'latin1'),
  Buffer.from([0x89, 0x50, 0x4e, 0x47]),
  Buffer.from([0xff, 0xd8, 0xff]),
  Buffer.from('GIF8', 'latin1'),
  Buffer.from('%PDF', 'latin1'),
  Buffer.from([0xca, 0xfe, 0xba, 0xbe]),
  Buffer.from('SQLite format 3', 'latin1'),
  Buffer.from([0x00, 0x61, 0x73, 0x6d]), // wasm
  Buffer.from('TZif', 'latin1'),
  Buffer.from([0xfe, 0xed, 0xfa, 0xce]), // Mach-O
  Buffer.from([0xfe, 0xed, 0xfa, 0xcf]),
  Buffer.from([0xce, 0xfa, 0xed, 0xfe]),
  Buffer.from([0xcf, 0xfa, 0xed, 0xfe]),
  Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), // 7z
  Buffer.from([0x04, 0x22, 0x4d, 0x18]), // lz4
  Buffer.from('OggS', 'latin1'),
  Buffer.from('wOFF', 'latin1'),
  Buffer.from('wOF2', 'latin1'),
]

/** The magics by their first byte: most files start with a byte no magic does, and cost one look-up. */
const MAGIC_BY_FIRST = new Map<number, Buffer[]>()
for (const m of BINARY_MAGIC) MAGIC_BY_FIRST.set(m[0] as number, [...(MAGIC_BY_FIRST.get(m[0] as number) ?? []), m])

function hasMagic(buf: Buffer): boolean {
  for (const m of MAGIC_BY_FIRST.get(buf[0] ?? -1) ?? []) {
    if (buf.length < m.length) continue
    let same = true
    for (let i = 1; i < m.length && same; i++) same = buf[i] === m[i]
    if (same) return true
  }
  return false
}

/** Control characters other than the whitespace, backspace and escape text uses, by byte. */
const CONTROL = new Uint8Array(256)
for (let b = 0; b < 32; b++) if (![8, 9, 10, 12, 13, 27].includes(b)) CONTROL[b] = 1
CONTROL[0x7f] = 1

/** The first block, in which control characters are counted (a byte loop: the NUL search covers SNIFF_BYTES). */
const BLOCK = 512

/**
 * Binary by content, never by name: a known binary format's magic, a NUL in the first 8 KiB, or a first block of
 * which more than a tenth is control characters (what text never has, whatever its encoding but UTF-16).
 */
function isBinary(buf: Buffer): boolean {
  if (hasMagic(buf)) return true
  if (buf.subarray(0, SNIFF_BYTES).includes(0)) return true
  const n = Math.min(buf.length, BLOCK)
  let control = 0
  for (let i = 0; i < n; i++) control += CONTROL[buf[i] as number] as number
  return control * 10 > n
}

/**
 * Every registered detector over one file's (or one ENV value's) text. Pure: the path only names the file, for
 * credential-file rules, trust-store paths and the fixture downgrade. Evidence is redacted; `secret` is raw. Facts
 * that change with time stay facts (`expires`); judgeTime() turns them into severities when a report is made.
 */
export function detectInText(
  text: string, path: string, sight?: SightingSink, detectors: readonly Detector[] = DETECTORS, bytes?: Uint8Array,
): Detection[] {
  const {prefilter, needleIndexes} = preparedFor(detectors)
  const {present, words, found} = prefilter.scan(text, bytes)
  const run = detectors.filter((d, k) => {
    const own = needleIndexes[k] as Int32Array
    for (let i = 0; i < own.length; i++) if (found[own[i] as number] === 1) return true
    return d.gate?.(text, path, words) ?? false
  })
  if (run.length === 0) return []
  let keys: KeyBlock[] | undefined
  const ctx: DetectContext = {
    lines: new LineIndex(text), path, present, words, sight,
    keys: () => (keys ??= KEY_NEEDLES.some((n) => present.has(n)) ? findKeyBlocks(text) : []),
  }
  const hits: Hit[] = run.flatMap((d) => d.detect(text, ctx))
  return stripHits(resolveOverlaps(hits)).map((d) => applyNoise(d, path))
}

/**
 * Content that is never worth decoding as text or sniffing for keystores: /proc/, /sys/, /dev/, zoneinfo, locales,
 * icons, fonts, MIME data, i18n sources and dpkg's maintainer data. One anchored test: the walk asks for every file.
 */
const SKIPPED = /^\/(?:proc|sys|dev|usr\/share\/(?:zoneinfo|locale|icons|fonts|mime|i18n)|usr\/lib\/locale|var\/lib\/dpkg\/info)\//
/**
 * Members of archives named as binary formats. A file in a layer is judged by its bytes (isBinary), which the walk
 * reads anyway; a member would have to be inflated to be judged, which costs what reading it costs, and a jar holds
 * thousands of classes.
 */
const MEMBER_SKIP_EXT = /\.(so(\.\d+)*|a|o|ko|pyc|pyo|class|png|jpe?g|gif|ico|svgz|webp|bmp|tiff?|woff2?|ttf|otf|eot|gz|tgz|xz|bz2|zst|lz4|7z|zip|jar|war|ear|whl|egg|deb|rpm|apk|mo|gmo|mp3|mp4|ogg|wav|avi|mkv|wasm|node|pak|bin|dat|db|sqlite|pdf)$/i

function wanted(entry: WalkEntry, max: number): boolean {
  if (entry.type !== 'file' || entry.size === 0) return false
  if (SKIPPED.test(entry.path)) return false
  if (entry.path.includes('!/') && MEMBER_SKIP_EXT.test(entry.path) && !credentialFileKind(entry.path)) return false
  return entry.size > 0 && max > 0
}

/** Bump for a change here (window handling, noise, overlaps); a detector's own change bumps the detector. */
const TEXT_CHECK_VERSION = 10

const textCheck: FileCheck = {
  id: 'secrets.text',
  // Every detector's id and version are in it, so the layer cache key changes when any detector does.
  version: composedVersion(TEXT_CHECK_VERSION, DETECTORS),
  maxBytes: TEXT_MAX_BYTES,
  windowed: true,
  // Binary is judged on the first window only: a later window of a text file may hold a stray NUL.
  moreWindows: (_entry, first) => !isBinary(first),
  skips: (_entry, content) => holdsNoText(content, isBinary),
  wants: (entry) => (wanted(entry, TEXT_MAX_BYTES) ? 'content' : false),
  inspect(entry, content, _truncated, sight, window) {
    if (!content) return []
    return detectInParts(textParts(content, !window?.index, isBinary), sight, (text, s, bytes) => detectInText(text, entry.path, s, DETECTORS, bytes))
  },
}

/** The first byte of a PKCS#12 or X.509 DER (0x30), a JKS (0xfe) or a JCEKS (0xce) store. */
const KEYSTORE_FIRST: ReadonlySet<number> = new Set([0x30, 0xfe, 0xce])

const KEYSTORE_EXT = /\.(p12|pfx|jks|jceks|keystore|ks|truststore|der|cer|crt|cert)$/i

const binaryCheck: FileCheck = {
  id: 'secrets.keystores',
  version: 3,
  maxBytes: BINARY_MAX_BYTES,
  wants: (entry) => (entry.size >= 32 && (wanted(entry, BINARY_MAX_BYTES) || (entry.type === 'file' && KEYSTORE_EXT.test(entry.path))) ? 'content' : false),
  skips: (_entry, content, truncated) => truncated || !KEYSTORE_FIRST.has(content[0] ?? -1),
  inspect(entry, content, truncated, sight) {
    if (!content || truncated) return []
    // Keystores are binary; a text file cannot start with these bytes.
    if (!KEYSTORE_FIRST.has(content[0] ?? -1)) return []
    return detectBinary(content, entry.path, sight).map((d) => applyNoise(d, entry.path))
  },
}

/** The content detectors of the layer walk, in the order their findings are listed. */
export const CONTENT_CHECKS: FileCheck[] = [textCheck, binaryCheck]
