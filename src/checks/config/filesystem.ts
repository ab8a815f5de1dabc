import type {Finding} from '../../findings/finding.js'
import type {WalkEntry} from '../../layers/entry.js'
import {configFinding, type ImageCheck, type ImageCheckContext} from './types.js'

const S_ISUID = 0o4000
const S_ISGID = 0o2000
const S_ISVTX = 0o1000
const O_WRITE = 0o002

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0')
}

/** Entries in path order, so findings come out the same way whatever order the walk filled the map in. */
function sorted(ctx: ImageCheckContext): WalkEntry[] {
  return [...ctx.view.entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** Hardlinks carry their own mode in tar, so they are judged like the regular files they are. */
const isRegular = (e: WalkEntry): boolean => e.type === 'file' || e.type === 'hardlink'

export const setuidCheck: ImageCheck = {
  id: 'config.fs.setuid',
  version: 1,
  rule: 'non-root',
  findingIds: ['config.fs.setuid'],
  run(ctx: ImageCheckContext): Finding[] {
    return sorted(ctx)
      .filter((e) => isRegular(e) && (e.mode & (S_ISUID | S_ISGID)) !== 0)
      .map((e) => {
        const bits = [(e.mode & S_ISUID) !== 0 ? 'setuid' : '', (e.mode & S_ISGID) !== 0 ? 'setgid' : ''].filter(Boolean).join('+')
        return configFinding({
          id: 'config.fs.setuid',
          severity: 'medium',
          title: `${bits} file lets a non-root user gain privileges`,
          rule: 'non-root',
          evidence: `mode ${octal(e.mode)}, owner ${e.uid}:${e.gid}`,
          subject: octal(e.mode),
          path: e.path,
          layer: e.layer,
        })
      })
  },
}

function underTmp(path: string): boolean {
  return ['/tmp', '/var/tmp'].some((d) => path === d || path.startsWith(`${d}/`))
}

export const worldWritableCheck: ImageCheck = {
  id: 'config.fs.world-writable',
  version: 1,
  rule: 'minimal-host',
  findingIds: ['config.fs.world-writable'],
  run(ctx: ImageCheckContext): Finding[] {
    return sorted(ctx)
      .filter((e) => {
        // Symlinks are always 0777 and mean nothing; sticky directories (like /tmp) are shared by design.
        if (e.type === 'symlink' || e.type === 'other') return false
        if ((e.mode & O_WRITE) === 0 || underTmp(e.path)) return false
        return !(e.type === 'directory' && (e.mode & S_ISVTX) !== 0)
      })
      .map((e) =>
        configFinding({
          id: 'config.fs.world-writable',
          severity: 'medium',
          title: e.type === 'directory' ? 'World-writable directory' : 'World-writable file',
          rule: 'minimal-host',
          evidence: `mode ${octal(e.mode)}, owner ${e.uid}:${e.gid}`,
          subject: octal(e.mode),
          path: e.path,
          layer: e.layer,
        }),
      )
  },
}

const SUDO_PATHS = ['/usr/bin/sudo', '/bin/sudo', '/usr/sbin/sudo', '/usr/local/bin/sudo', '/etc/sudoers']

/** A sudoers rule that hands out root without a password (`NOPASSWD:`), ignoring comments. */
function nopasswdLine(content: Buffer | undefined): string | undefined {
  if (!content) return undefined
  return content
    .toString('utf8')
    .split('\n')
    .map((l) => l.trim())
    .find((l) => !l.startsWith('#') && /\bNOPASSWD\s*:/.test(l))
}

export const sudoCheck: ImageCheck = {
  id: 'config.fs.sudo',
  version: 1,
  rule: 'non-root',
  findingIds: ['config.fs.sudo'],
  run(ctx: ImageCheckContext): Finding[] {
    const present = sorted(ctx).filter(
      (e) => e.type !== 'directory' && (SUDO_PATHS.includes(e.path) || e.path.startsWith('/etc/sudoers.d/')),
    )
    const first = present[0]
    if (!first) return []
    const nopasswd = nopasswdLine(ctx.view.files.get('/etc/sudoers'))
    const paths = present.map((e) => e.path)
    return [
      configFinding({
        id: 'config.fs.sudo',
        severity: nopasswd ? 'high' : 'medium',
        title: nopasswd ? 'sudo grants root without a password' : 'sudo is installed',
        rule: 'non-root',
        // The rule line names users and commands, never secrets, so it is safe to show trimmed.
        evidence: `${paths.join(', ')}${nopasswd ? `; /etc/sudoers: ${nopasswd.slice(0, 120)}` : ''}`,
        subject: paths.join(','),
        path: first.path,
        layer: first.layer,
      }),
    ]
  },
}
