import type {FinalView} from '../check.js'

interface DbEntry {
  name: string
  id: number
}

/**
 * Parse /etc/passwd or /etc/group (`name:x:id:...`). Malformed lines are skipped, not fatal: the file is the
 * image's, and a hostile image must not be able to stop the scan with it.
 */
function parseIdDb(content: Buffer | undefined): DbEntry[] | undefined {
  if (content === undefined) return undefined
  const out: DbEntry[] = []
  for (const raw of content.toString('utf8').split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const [name, , id] = line.split(':')
    if (!name || id === undefined || !/^\d{1,10}$/.test(id)) continue
    out.push({name, id: Number(id)})
  }
  return out
}

interface ParsedUser {
  /** As written in the config, trimmed. */
  raw: string
  user: string
  group?: string
}

/** `user[:group]`; an empty User is docker's default, root. */
export function parseUser(raw: string | undefined): ParsedUser {
  const s = (raw ?? '').trim()
  const colon = s.indexOf(':')
  if (colon < 0) return {raw: s, user: s}
  return {raw: s, user: s.slice(0, colon), group: s.slice(colon + 1)}
}

type UserResolution =
  | {kind: 'uid'; uid: number; how: 'default' | 'numeric' | 'root-name' | 'passwd'}
  | {kind: 'unknown-name'; name: string; passwd: boolean}

const NUMERIC = /^\d{1,10}$/

/** Resolve the user part to a uid the way runc does: numbers need no entry, names must exist in /etc/passwd. */
export function resolveUser(user: string, view: FinalView): UserResolution {
  if (user === '') return {kind: 'uid', uid: 0, how: 'default'}
  if (NUMERIC.test(user)) return {kind: 'uid', uid: Number(user), how: 'numeric'}
  const passwd = parseIdDb(view.files.get('/etc/passwd'))
  const entry = passwd?.find((e) => e.name === user)
  if (entry) return {kind: 'uid', uid: entry.id, how: 'passwd'}
  // `root` is uid 0 by convention even where an image ships no passwd; report it as root, which it is.
  if (user === 'root') return {kind: 'uid', uid: 0, how: 'root-name'}
  return {kind: 'unknown-name', name: user, passwd: passwd !== undefined}
}

export function groupExists(group: string, view: FinalView): boolean {
  if (group === '' || NUMERIC.test(group) || group === 'root') return true
  return parseIdDb(view.files.get('/etc/group'))?.some((e) => e.name === group) ?? false
}
