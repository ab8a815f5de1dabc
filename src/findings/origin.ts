/** Which package manager's record names the file. */
export type PackageManager = 'dpkg' | 'apk' | 'rpm' | 'python' | 'npm' | 'gem' | 'go' | 'maven' | 'gradle'

/**
 * Where a finding's file came from, read from the image itself. `content` says what the package record vouches for:
 * `unmodified` (its hash matches, written by the same layer as the record), `modified` (it does not), `unverified`
 * (owned, but no hash to compare or the file was too large to hash in the walk's read), `unowned` (no record of
 * that layer names it; a record in another layer gives no credit).
 */
export interface Origin {
  layer: number
  /** Whether that layer belongs to the base image (guessed from history) or to the image's own build. */
  from: 'base' | 'image' | 'unknown'
  baseImage?: string
  content: 'unmodified' | 'modified' | 'unverified' | 'unowned'
  package?: {manager: PackageManager; name: string; version?: string}
  /** A package database in that layer that could not be read (rpm's BerkeleyDB): not owned means "not known". */
  unreadable?: string
}

const STATES: Record<Origin['content'], string> = {
  unmodified: 'shipped unmodified',
  modified: 'modified after install',
  unverified: 'owned, content not verified',
  unowned: 'not owned',
}

/** One line for text-like reports: `layer 2 (image's own); dpkg ssl-cert 1.1.2: modified after install`. */
export function originText(o: Origin): string {
  const base = `base image${o.baseImage ? ` ${o.baseImage}` : ''}`
  const from = o.from === 'base' ? base : o.from === 'image' ? "image's own" : 'base or own unknown'
  const where = `layer ${o.layer} (${from})`
  if (!o.package) return `${where}; not in any package record of that layer${o.unreadable ? ` (${o.unreadable})` : ''}`
  const p = `${o.package.manager} ${o.package.name}${o.package.version ? ` ${o.package.version}` : ''}`
  return `${where}; ${p}: ${STATES[o.content]}`
}
