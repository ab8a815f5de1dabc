import picomatch from 'picomatch'
import {newFinding, type Finding} from '../findings/finding.js'
import type {AllowEntry} from './types.js'

/**
 * Allowlists with teeth: every entry has a reason and an expiry. Expired entries stop suppressing and are reported;
 * entries that match nothing are reported too, so stale ignores do not pile up unseen (a trivy complaint).
 */

interface AllowOutcome {
  kept: Finding[]
  /** Suppressed findings, `note` set to the entry's reason. */
  suppressed: Finding[]
  /** `policy.allow.expired` and `policy.allow.unused` findings about the entries themselves. */
  notices: Finding[]
}

/** The entry applies through the whole `expires` day, in UTC, so a date means the same on every CI runner. */
export function isExpired(entry: AllowEntry, now: Date): boolean {
  const end = Date.parse(`${entry.expires}T23:59:59.999Z`)
  return Number.isNaN(end) || now.getTime() > end
}

function entryMatches(entry: AllowEntry, f: Finding): boolean {
  if (entry.id !== undefined && !picomatch.isMatch(f.id, entry.id, {dot: true})) return false
  if (entry.path !== undefined && (f.path === null || !picomatch.isMatch(f.path, entry.path, {dot: true}))) return false
  // A prefix is enough, like a short git hash; the schema requires at least 8 hex digits.
  if (entry.fingerprint !== undefined && !f.fingerprint.startsWith(entry.fingerprint)) return false
  // A package vouches for what it shipped, not for what a later hand changed in its files.
  if (entry.package !== undefined) {
    const p = f.origin?.package
    if (!p || f.origin?.content === 'modified' || !picomatch.isMatch(p.name, entry.package, {dot: true})) return false
  }
  return true
}

function entryPlace(entry: AllowEntry, file: string): string {
  return `${entry.file ?? file}${entry.line !== undefined ? `:${entry.line}` : ''}`
}

function describeEntry(entry: AllowEntry, file: string): string {
  const what = [
    entry.id !== undefined ? `id=${entry.id}` : '',
    entry.path !== undefined ? `path=${entry.path}` : '',
    entry.fingerprint !== undefined ? `fingerprint=${entry.fingerprint}` : '',
    entry.package !== undefined ? `package=${entry.package}` : '',
  ].filter(Boolean)
  return `allow entry ${entryPlace(entry, file)} (${what.join(', ')})`
}

export function applyAllowlist(findings: readonly Finding[], entries: readonly AllowEntry[], now: Date, file: string): AllowOutcome {
  const kept: Finding[] = []
  const suppressed: Finding[] = []
  const used = new Array<number>(entries.length).fill(0)
  const expiredHits = new Array<number>(entries.length).fill(0)
  for (const f of findings) {
    let by: number | undefined
    let expiredBy: number | undefined
    entries.forEach((e, i) => {
      if (by !== undefined || !entryMatches(e, f)) return
      if (isExpired(e, now)) {
        expiredHits[i] = (expiredHits[i] ?? 0) + 1
        expiredBy ??= i
      } else {
        by = i
      }
    })
    const entry = by === undefined ? undefined : entries[by]
    if (by !== undefined && entry) {
      used[by] = (used[by] ?? 0) + 1
      suppressed.push({...f, note: `allowlisted until ${entry.expires}: ${entry.reason}`, allowedBy: entryPlace(entry, file)})
      continue
    }
    const old = expiredBy === undefined ? undefined : entries[expiredBy]
    kept.push(old ? {...f, note: `allowlist entry expired ${old.expires} (${old.reason}); no longer suppressed`} : f)
  }
  const notices: Finding[] = []
  entries.forEach((e, i) => {
    const who = describeEntry(e, file)
    const subject = `${e.id ?? ''}\0${e.path ?? ''}\0${e.fingerprint ?? ''}\0${e.expires}${e.package ? `\0${e.package}` : ''}`
    if (isExpired(e, now)) {
      notices.push(notice('policy.allow.expired', 'low', 'Allowlist entry has expired', `${who} expired ${e.expires}; it would have matched ${expiredHits[i] ?? 0} finding(s)`, subject, e.reason))
    } else if ((used[i] ?? 0) === 0) {
      notices.push(notice('policy.allow.unused', 'info', 'Allowlist entry matched nothing', `${who} matched no finding; remove it or fix its matcher`, subject, e.reason))
    }
  })
  return {kept, suppressed, notices}
}

function notice(id: string, severity: 'low' | 'info', title: string, evidence: string, subject: string, reason: string): Finding {
  return newFinding({id, severity, category: 'config', title, rule: 'trust-external', evidence, subject, note: `reason given: ${reason}`})
}
