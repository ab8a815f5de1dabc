import {posix} from 'node:path'
import {newFinding} from '../findings/finding.js'
import {escapeControl} from '../report/escape.js'
import type {LayerFinding} from './match.js'

const PATH_ESCAPE_ID = 'layer.path-escape'
/** A layer can hold millions of hostile names; past this many the rest are counted in one finding. */
export const MAX_ESCAPE_FINDINGS = 25
const MAX_SHOWN = 200

type Placed = {path: string} | {unsafe: string}

/** A `.` or `..` segment, or an empty one (`//`, or a `/` at either end). */
const ODD_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|$)|\/\/|^\/|\/$/

/**
 * Tar names are relative (`etc/passwd`, `./etc/passwd`). An absolute name, one that climbs out with `..`, or one
 * holding NUL is something no builder writes and a naive extractor places outside the root: such a name is never
 * used as a path, only described.
 */
export function placeEntryName(name: string): Placed {
  if (name.includes('\0')) return {unsafe: 'contains NUL'}
  if (name.startsWith('/')) return {unsafe: 'is an absolute path'}
  // What builders write (`etc/passwd`, `./etc/`, `usr/lib/`) needs no split: one test per entry of a big layer.
  const rest = name.slice(name.startsWith('./') ? 2 : 0, name.endsWith('/') ? -1 : undefined)
  if (rest !== '' && !ODD_SEGMENT.test(rest)) return {path: `/${rest}`}
  return placeBySegments(name)
}

/** The rule itself, segment by segment, for a relative name without NUL; placeEntryName's shortcut must agree. */
export function placeBySegments(name: string): Placed {
  const parts: string[] = []
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue
    if (p === '..') {
      if (parts.length === 0) return {unsafe: 'climbs above the root'}
      parts.pop()
    } else parts.push(p)
  }
  return {path: `/${parts.join('/')}`}
}

/**
 * A relative symlink target that climbs above the root when followed from the link's directory. Absolute targets
 * are normal (the runtime resolves them inside the root); a climbing one is how a layer writes outside the
 * extraction directory through a later entry.
 */
export function symlinkEscapes(linkPath: string, target: string): boolean {
  if (target.startsWith('/')) return false
  let depth = posix.dirname(linkPath).split('/').filter(Boolean).length
  for (const p of target.split('/')) {
    if (p === '' || p === '.') continue
    if (p === '..') {
      if (depth === 0) return true
      depth--
    } else depth++
  }
  return false
}

/** Shown, never used: bounded, and control characters made visible so the name cannot rewrite a terminal. */
export function shownName(raw: string): string {
  const cut = raw.length > MAX_SHOWN ? `${raw.slice(0, MAX_SHOWN)}...` : raw
  return escapeControl(cut)
}

/** `path` is where a reader looks for it: the escaped raw name, or the link's own (safe) path for a link target. */
export function pathEscapeFinding(placed: string, what: string, raw?: string): LayerFinding {
  // A link's own name is inside the root but may still carry control characters.
  const path = escapeControl(placed)
  const {layer: _layer, removedIn: _removedIn, ...f} = newFinding({
    id: PATH_ESCAPE_ID,
    severity: 'critical',
    category: 'integrity',
    title: 'Layer entry escapes the image root',
    rule: 'trust-external',
    path,
    evidence: raw === undefined ? what : `${what} "${shownName(raw)}"`,
    subject: raw ?? what,
  })
  return {...f, path}
}
