import {createHash} from 'node:crypto'

/**
 * The fingerprint formula as documented (README, allowlists), written out apart from src/: a change to the
 * library's formula breaks every allowlist entry that names one, and these tests say so.
 */
export function expectedFingerprint(id: string, path: string | null, subject: string): string {
  return createHash('sha256').update([id, path ?? '', subject].join('\u0000')).digest('hex').slice(0, 32)
}
