import {ImgvetError} from './errors.js'

const UNIT_MS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}
/** Longer than any registry request should take; a larger value is a typo (ms read as s), not a wish. */
const MAX_TIMEOUT_MS = 24 * 3_600_000

/**
 * `--timeout` as trivy and cosign take it: Go-style durations (`30s`, `5m`, `1h`, `1m30s`, `500ms`); a bare number
 * is seconds, as imgvet always read it. Zero, negative and past a day are usage errors.
 */
export function parseDuration(value: string, flag = '--timeout'): number {
  const v = value.trim()
  let ms: number
  if (/^-\d/.test(v)) throw new ImgvetError('usage', `${flag} must be more than zero, got "${v}"`)
  if (/^\d+(\.\d+)?$/.test(v)) ms = Number(v) * 1000
  else if (/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(v)) {
    ms = [...v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)].reduce((sum, m) => sum + Number(m[1]) * (UNIT_MS[m[2] ?? 's'] ?? 0), 0)
  } else {
    throw new ImgvetError('usage', `${flag} takes a duration such as 30s, 5m or 1h (a bare number is seconds), got "${v}"`)
  }
  if (!(ms > 0)) throw new ImgvetError('usage', `${flag} must be more than zero, got "${v}"`)
  if (ms > MAX_TIMEOUT_MS) throw new ImgvetError('usage', `${flag} must be at most 24h, got "${v}"`)
  return Math.round(ms)
}
