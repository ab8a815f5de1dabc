import type {Finding} from '../../findings/finding.js'
import {configFinding, type ImageCheck, type ImageCheckContext} from './types.js'
import {groupExists, parseUser, resolveUser} from './passwd.js'

/**
 * Root detection that closes the gaps of peers: dockle misses `USER 0`, hadolint misses a missing USER; both miss
 * a name that the image's own /etc/passwd maps to uid 0.
 */
export const rootUserCheck: ImageCheck = {
  id: 'config.user.root',
  version: 1,
  rule: 'non-root',
  findingIds: ['config.user.root'],
  run(ctx: ImageCheckContext): Finding[] {
    const u = parseUser(ctx.config.config?.User)
    const r = resolveUser(u.user, ctx.view)
    if (r.kind !== 'uid' || r.uid !== 0) return []
    const why =
      r.how === 'default'
        ? u.raw === ''
          ? 'no USER is set, so the container runs as root'
          : `User "${u.raw}" has an empty user part, so it runs as root`
        : r.how === 'passwd'
          ? `User "${u.raw}": /etc/passwd maps "${u.user}" to uid 0`
          : `User "${u.raw}" is uid 0`
    const required = ctx.requirements.user?.nonRoot === true
    return [
      configFinding({
        id: 'config.user.root',
        severity: required ? 'high' : 'low',
        title: 'Container runs as root',
        rule: 'non-root',
        evidence: why,
        subject: u.raw,
        note: required ? undefined : 'the policy does not require a non-root user',
      }),
    ]
  },
}

export const unknownUserCheck: ImageCheck = {
  id: 'config.user.unknown',
  version: 2,
  rule: 'non-root',
  findingIds: ['config.user.unknown'],
  run(ctx: ImageCheckContext): Finding[] {
    const u = parseUser(ctx.config.config?.User)
    const out: Finding[] = []
    const r = resolveUser(u.user, ctx.view)
    if (r.kind === 'unknown-name') {
      // A policy that requires non-root cannot accept a user it cannot resolve to a uid: like Kubernetes'
      // runAsNonRoot, which refuses a non-numeric USER it cannot verify, "not proven root" is not "non-root".
      const required = ctx.requirements.user?.nonRoot === true
      out.push(
        configFinding({
          id: 'config.user.unknown',
          severity: required ? 'high' : 'medium',
          title: 'USER names a user the image does not define',
          rule: 'non-root',
          evidence: r.passwd
            ? `User "${u.raw}": "${r.name}" is not in the image's /etc/passwd; the runtime refuses to start it`
            : `User "${u.raw}": the image has no /etc/passwd, so the name "${r.name}" cannot be resolved (use a numeric uid)`,
          subject: `user:${r.name}`,
          path: '/etc/passwd',
        }),
      )
    }
    if (u.group !== undefined && !groupExists(u.group, ctx.view)) {
      out.push(
        configFinding({
          id: 'config.user.unknown',
          severity: 'medium',
          title: 'USER names a group the image does not define',
          rule: 'non-root',
          evidence: `User "${u.raw}": group "${u.group}" is not in the image's /etc/group`,
          subject: `group:${u.group}`,
          path: '/etc/group',
        }),
      )
    }
    return out
  },
}

export const allowedUidCheck: ImageCheck = {
  id: 'config.user.uid-not-allowed',
  version: 1,
  rule: 'non-root',
  findingIds: ['config.user.uid-not-allowed'],
  run(ctx: ImageCheckContext): Finding[] {
    const allowed = ctx.requirements.user?.allowedUids
    if (!allowed || allowed.length === 0) return []
    const u = parseUser(ctx.config.config?.User)
    const r = resolveUser(u.user, ctx.view)
    // Root and unknown names already have their own findings; this one is about the uid's value.
    if (r.kind !== 'uid' || r.uid === 0 || allowed.includes(r.uid)) return []
    return [
      configFinding({
        id: 'config.user.uid-not-allowed',
        severity: 'high',
        title: 'Container user is not one the policy allows',
        rule: 'non-root',
        evidence: `User "${u.raw}" is uid ${r.uid}; allowed: ${allowed.join(', ')}`,
        subject: String(r.uid),
      }),
    ]
  },
}
