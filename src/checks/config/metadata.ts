import type {Finding} from '../../findings/finding.js'
import {parseReference} from '../../reference/reference.js'
import {globMatches, scopeName} from '../../policy/match.js'
import {configFinding, type ImageCheck, type ImageCheckContext} from './types.js'

const labelsOf = (ctx: ImageCheckContext): Record<string, string> => ctx.config.config?.Labels ?? {}

export const requiredLabelsCheck: ImageCheck = {
  id: 'config.label.missing',
  version: 1,
  rule: 'single-owner',
  findingIds: ['config.label.missing'],
  run(ctx: ImageCheckContext): Finding[] {
    const labels = labelsOf(ctx)
    return (ctx.requirements.labels?.required ?? [])
      .filter((name) => (labels[name] ?? '').trim() === '')
      .map((name) =>
        configFinding({
          id: 'config.label.missing',
          severity: 'high',
          title: `Required label "${name}" is missing`,
          rule: 'single-owner',
          evidence: name in labels ? `label ${name} is empty` : `no label ${name}`,
          subject: name,
        }),
      )
  },
}

const DAY_MS = 86_400_000
/** Allowed clock skew before a creation date counts as "in the future". */
const SKEW_MS = DAY_MS

export const imageAgeCheck: ImageCheck = {
  id: 'config.age',
  version: 1,
  rule: 'rebuild',
  findingIds: ['config.age.too-old', 'config.age.unknown'],
  run(ctx: ImageCheckContext): Finding[] {
    const max = ctx.requirements.maxAgeDays
    if (max === undefined) return []
    const created = ctx.config.created
    const t = created ? Date.parse(created) : Number.NaN
    const unknown = (why: string): Finding[] => [
      configFinding({
        id: 'config.age.unknown',
        severity: 'medium',
        title: 'Image age cannot be established',
        rule: 'rebuild',
        evidence: why,
        subject: created ?? '',
      }),
    ]
    if (!created) return unknown('config has no created date')
    if (Number.isNaN(t)) return unknown(`created "${created.slice(0, 40)}" is not a date`)
    // Reproducible builds stamp SOURCE_DATE_EPOCH=0; reading that as 56 years old would be noise, not information.
    if (t <= 0) return unknown(`created is the epoch (${created}), a reproducible-build placeholder`)
    if (t > ctx.now.getTime() + SKEW_MS) return unknown(`created ${created} is in the future`)
    const age = Math.floor((ctx.now.getTime() - t) / DAY_MS)
    if (age <= max) return []
    return [
      configFinding({
        id: 'config.age.too-old',
        severity: 'high',
        title: 'Image is older than the policy allows; rebuild it',
        rule: 'rebuild',
        evidence: `created ${created}, ${age} days ago; allowed ${max}`,
        subject: created,
      }),
    ]
  },
}

const SYSTEM_DIRS = ['/proc', '/sys', '/dev']
const DOCKER_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock', '/var/run', '/run']

function normalise(p: string): string {
  const s = `/${p.trim()}`.replace(/\/+/g, '/')
  return s.length > 1 ? s.replace(/\/$/, '') : s
}

export const volumesCheck: ImageCheck = {
  id: 'config.volume',
  version: 1,
  rule: 'minimal-host',
  findingIds: ['config.volume.system-path', 'config.volume.docker-socket'],
  run(ctx: ImageCheckContext): Finding[] {
    const out: Finding[] = []
    for (const raw of Object.keys(ctx.config.config?.Volumes ?? {}).sort()) {
      const v = normalise(raw)
      if (SYSTEM_DIRS.some((d) => v === d || v.startsWith(`${d}/`))) {
        out.push(
          configFinding({
            id: 'config.volume.system-path',
            severity: 'high',
            title: 'VOLUME over a kernel or device filesystem',
            rule: 'minimal-host',
            evidence: `VOLUME ${raw} shadows the runtime's ${v.split('/')[1] ?? ''} mount and invites a host mount there`,
            subject: v,
            path: v,
          }),
        )
      } else if (DOCKER_SOCKETS.includes(v)) {
        // An image that wants the engine socket expects root-equivalent control of the host daemon.
        out.push(
          configFinding({
            id: 'config.volume.docker-socket',
            severity: 'high',
            title: 'VOLUME where the Docker daemon socket lives',
            rule: 'daemon-tls',
            evidence: `VOLUME ${raw}: the image expects the daemon socket mounted instead of a TLS-protected endpoint`,
            subject: v,
            path: v,
          }),
        )
      }
    }
    return out
  },
}

export const healthcheckCheck: ImageCheck = {
  id: 'config.healthcheck.missing',
  version: 1,
  rule: 'single-owner',
  findingIds: ['config.healthcheck.missing'],
  run(ctx: ImageCheckContext): Finding[] {
    const test = ctx.config.config?.Healthcheck?.Test
    const first = test?.[0]
    if (test && test.length > 0 && first !== 'NONE') return []
    return [
      configFinding({
        id: 'config.healthcheck.missing',
        severity: 'info',
        title: 'No HEALTHCHECK',
        rule: 'single-owner',
        evidence: first === 'NONE' ? 'HEALTHCHECK NONE disables the inherited check' : 'the config defines no health check',
        subject: first ?? '',
      }),
    ]
  },
}

/** Where build tools record the base image; the OCI label first, then the same key as a manifest annotation. */
export const BASE_IMAGE_KEYS = ['org.opencontainers.image.base.name'] as const

function baseImageName(ctx: ImageCheckContext): string | undefined {
  for (const k of BASE_IMAGE_KEYS) {
    const v = labelsOf(ctx)[k] ?? ctx.annotations?.[k]
    if (v && v.trim()) return v.trim()
  }
  return undefined
}

export const baseImageCheck: ImageCheck = {
  id: 'config.base',
  version: 1,
  rule: 'trust-external',
  findingIds: ['config.base.not-allowed', 'config.base.unknown'],
  run(ctx: ImageCheckContext): Finding[] {
    const allow = ctx.requirements.baseImages?.allow
    if (!allow) return []
    const base = baseImageName(ctx)
    if (!base) {
      return [
        configFinding({
          id: 'config.base.unknown',
          severity: 'medium',
          title: 'Base image is not recorded, so the policy cannot vet it',
          rule: 'trust-external',
          evidence: `no ${BASE_IMAGE_KEYS.join(' or ')} label or annotation`,
          subject: '',
        }),
      ]
    }
    let name: string
    try {
      name = scopeName(parseReference(base))
    } catch {
      name = ''
    }
    if (name && allow.some((g) => globMatches(g, name))) return []
    return [
      configFinding({
        id: 'config.base.not-allowed',
        severity: 'high',
        title: 'Base image is not one the policy allows',
        rule: 'trust-external',
        evidence: `${BASE_IMAGE_KEYS[0]}=${base.slice(0, 200)}${name ? '' : ' (not a valid reference)'}; allowed: ${allow.join(', ')}`,
        subject: base,
      }),
    ]
  },
}
