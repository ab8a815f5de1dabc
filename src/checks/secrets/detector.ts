import type {KeyBlock} from './private-keys.js'
import type {SightingSink} from './key-pairs.js'
import type {Hit, LineIndex} from './util.js'

/** What every detector of one text gets besides the text: computed once per text by detectInText. */
export interface DetectContext {
  lines: LineIndex
  /** The file's path in the image (or a label such as `ENV FOO`): names the file, never read. */
  path: string
  /** The registered needles that occur in the text. */
  present: ReadonlySet<string>
  /** Where the detectors' `words` occur (in any case): start offsets, ascending, of each word that occurs. */
  words: WordHits
  /** The private-key blocks of the text, parsed once for the key and certificate detectors. */
  keys(): KeyBlock[]
  sight?: SightingSink
}

/**
 * One family of text rules. `version` goes into the text check's cache identity: bump it whenever the same bytes
 * could give different findings (test/checks/detector-versions.test.ts fails until you do).
 */
export interface Detector {
  id: string
  version: number
  /** Cheap substrings; the detector runs only when one occurs, unless `gate` says otherwise. */
  needles: readonly string[]
  /**
   * Words (lowercase ASCII) whose every occurrence in any case the detector is given in `ctx.words`, found in one
   * pass with every other detector's: for rules that start from a word rather than scan the text for it.
   */
  words?: readonly string[]
  /** Runs the detector even without a needle (a file named `.npmrc`, an assignment to a secret name). */
  gate?(text: string, path: string, words: WordHits): boolean
  detect(text: string, ctx: DetectContext): Hit[]
}

export type WordHits = ReadonlyMap<string, readonly number[]>

/**
 * A positive 31-bit integer naming a set of detectors and their versions: the text check's version, so the layer
 * cache key (which holds [check id, version]) changes whenever any detector is added, removed or bumped.
 */
export function composedVersion(base: number, detectors: readonly Detector[]): number {
  const material = [`base@${base}`, ...detectors.map((d) => `${d.id}@${d.version}`).sort()].join(',')
  let h = 0x811c9dc5
  for (let i = 0; i < material.length; i++) h = Math.imul(h ^ material.charCodeAt(i), 0x01000193) >>> 0
  return (h & 0x7fffffff) || 1
}
