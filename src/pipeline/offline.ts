import {ImgvetError} from '../errors.js'
import type {ImageSource} from '../image/types.js'
import {loadTrustRoot} from '../signatures/trust-root.js'

/** What a run with --offline never looks at, said in the report rather than left for the reader to guess. */
const NOT_CHECKED = 'offline: not checked: transparency-log (Rekor) lookups, TUF refresh of the trust root'

/**
 * --offline takes local sources only (oci:, oci-archive:, docker-archive:): a registry reference cannot be read
 * without the network, so it is refused before anything is tried. Returns the report notes naming the trust root
 * (loaded and checked here, so a bad --trusted-root fails as it would online) and what was not checked. `signatures`
 * names where signatures were read instead of a registry (verify reads them from the layout itself).
 */
export async function offlineNotes(source: ImageSource, trustedRoot: string | undefined,
  signatures?: string): Promise<string[]> {
  if (source.supplyChain) {
    throw new ImgvetError('usage', '--offline reads local sources only (oci:, oci-archive:, docker-archive:); this is a registry reference', source.name)
  }
  const root = await loadTrustRoot(trustedRoot)
  const which = trustedRoot ? `${root.source} (--trusted-root)` : 'the public-good root embedded in @sigstore/tuf (never fetched)'
  const notChecked = signatures ? `${NOT_CHECKED}; signatures read from ${signatures} only`
    : `${NOT_CHECKED}, registry referrers and cosign signature tags`
  return [`offline: no network request made; trust root: ${which}`, notChecked]
}
