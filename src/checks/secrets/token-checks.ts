import {lowVariety, maskedCheck, type Verdict} from './tokens.js'

/**
 * For a token with a fixed prefix of `prefix` characters: dropped when the rest has fewer than `min` distinct
 * characters, info when it is a mask. Unlike `varied`, the rest is never trimmed further: random base62 or hex
 * often holds `_` or `-` after a run of letters, which would read as one more prefix.
 */
export function randomAfter(prefix: number, min: number): (token: string) => Verdict {
  return (token) => (lowVariety(token.slice(prefix), min) ? {keep: false} : maskedCheck(token))
}
