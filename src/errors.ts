import {escapeControl} from './report/escape.js'

/**
 * Every failure the user can act on is an ImgvetError: a closed set of codes, each mapped to one exit code, so the
 * CLI never has to guess whether "could not scan" means "passed". Anything else reaching the top is a bug.
 */
export type ErrorCode =
  // exit 2: the input is wrong (reference, flags, policy, files the user handed us)
  | 'usage'
  | 'bad-reference'
  | 'bad-policy'
  | 'bad-input'
  // the reference names a repository, tag or digest the registry does not hold, or a host that is no registry:
  // a typo, so a wrapper that retries on 3 must not retry it
  | 'no-such-image'
  | 'not-a-registry'
  // exit 3: could not complete (registry, network, integrity of what was served)
  | 'not-found'
  | 'unauthorized'
  | 'network'
  | 'timeout'
  | 'registry'
  // the registry's pull budget (Docker Hub's ratelimit-remaining) is spent, or too small for this run
  | 'rate-limited'
  | 'integrity'
  | 'bad-manifest'
  | 'unsupported'
  | 'too-large'
  | 'hostile-layer'
  | 'tool-missing'
  | 'tool-failed'
  | 'build-failed'
  // a set of inputs that must make a whole does not (missing or repeated shards; shards of different runs)
  | 'incomplete'
  | 'inconsistent'
  // another run holds the state this one needs (retry later)
  | 'busy'
  // exit 2: adopt would overwrite a destination tag that names other content (--force allows it)
  | 'conflict'

// 4: adopt copied but the destination does not prove to hold the copy; apart from 3, since a rerun cannot fix a
// registry that serves other bytes.
export const EXIT = {ok: 0, policyFailed: 1, badInput: 2, couldNotComplete: 3, notProven: 4} as const

/** What a command decided, as far as its exit code goes. */
interface Outcome {
  pass: boolean
  /** Some part could not be judged (a registry down, a run cut short): that outranks the verdict of the rest. */
  incomplete?: boolean
}

/**
 * The one mapping of a verdict to an exit code (errors map through ImgvetError.exitCode): 0 pass, 1 fail, 3 could
 * not complete. `failCode` is what a failure exits with when a flag says so (`scan --exit-code N`) or when failing
 * means the input itself is wrong (`policy validate`: 2).
 */
export function exitFor(o: Outcome, failCode: number = EXIT.policyFailed): number {
  if (o.incomplete) return EXIT.couldNotComplete
  return o.pass ? EXIT.ok : failCode
}

const BAD_INPUT: ReadonlySet<ErrorCode> = new Set([
  'usage', 'bad-reference', 'bad-policy', 'bad-input', 'no-such-image', 'not-a-registry', 'conflict',
])

export class ImgvetError extends Error {
  readonly code: ErrorCode
  /** Where it happened: a reference, URL, file:line or layer digest. Part of the one-line message. */
  readonly where?: string

  constructor(code: ErrorCode, message: string, where?: string, options?: {cause?: unknown}) {
    super(message, options)
    this.name = 'ImgvetError'
    this.code = code
    this.where = where
  }

  get exitCode(): number {
    return BAD_INPUT.has(this.code) ? EXIT.badInput : EXIT.couldNotComplete
  }

  /**
   * The one line a user sees: `code: message (where)`. Messages quote registry bodies, tags and file names, so
   * control characters are escaped: a newline cannot forge a second line nor an escape sequence rewrite the screen.
   */
  oneLine(): string {
    return escapeControl(`${this.code}: ${this.message}${this.where ? ` (${this.where})` : ''}`)
  }
}

export function isImgvetError(e: unknown): e is ImgvetError {
  return e instanceof ImgvetError
}

/** Wrap an unknown error from lower layers (fs, sockets) into a coded one without losing the cause. */
export function asImgvetError(e: unknown, fallback: ErrorCode, where?: string): ImgvetError {
  if (e instanceof ImgvetError) return e
  const message = e instanceof Error ? e.message : String(e)
  return new ImgvetError(fallback, message, where, {cause: e})
}
