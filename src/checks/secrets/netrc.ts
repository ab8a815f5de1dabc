import {redact} from '../../findings/finding.js'
import {basename, hit, isPlaceholder, type Hit, type LineIndex} from './util.js'

/**
 * `machine HOST login USER password PASS` (and `default … password …`), on one line or several, in any file: netrc
 * entries get pasted into scripts, Dockerfiles, CI config and READMEs, not only into files named `.netrc`.
 */
const ENTRY = /(?<![\w-])(machine[ \t]+([^\s'"`]+)|(?<=(?:^|\n)[ \t]*)default)((?:[ \t]*\r?\n?[ \t]*(?:login|account|port|macdef)[ \t]+[^\s'"`]+)*)[ \t]*\r?\n?[ \t]*password[ \t]+([^\s'"`]+)/g

export function detectNetrc(text: string, lines: LineIndex, path: string): Hit[] {
  const b = basename(path)
  // The credential-file rule owns real netrc files (it reports them high).
  if (b === '.netrc' || b === '_netrc' || !text.includes('password')) return []
  const out: Hit[] = []
  for (const m of text.matchAll(ENTRY)) {
    const host = m[2] ?? 'default'
    const login = /login[ \t]+(\S+)/.exec(m[3] ?? '')?.[1] ?? ''
    const pass = m[4] ?? ''
    // Anonymous FTP logins put an e-mail address in the password field by convention.
    if (/^(anonymous|ftp)$/i.test(login) || pass.length < 4 || isPlaceholder(pass) || /^[$%<{[]/.test(pass)) continue
    if (pass === login || /^(\S)\1+$/.test(pass)) continue
    const start = (m.index ?? 0) + m[0].length - pass.length
    out.push(hit(lines, {
      id: 'secret.netrc-entry', severity: 'medium', category: 'secret', title: 'netrc-style login with a password',
      secret: pass, start, end: start + pass.length, priority: 20,
      evidence: `machine ${host}${login ? ` login ${login}` : ''} password ${redact(pass)}`,
    }))
  }
  return out
}
