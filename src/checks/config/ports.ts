import type {Finding} from '../../findings/finding.js'
import {PORT_SPEC} from '../../policy/schema.js'
import {configFinding, type ImageCheck, type ImageCheckContext} from './types.js'

interface PortRange {
  lo: number
  hi: number
  proto: string
}

/** `8080`, `8080/tcp`, `8000-8100/udp`; no protocol means tcp, as in docker's EXPOSE. */
function parsePortSpec(spec: string): PortRange | undefined {
  const m = PORT_SPEC.exec(spec.trim().toLowerCase())
  if (!m) return undefined
  const lo = Number(m[1])
  const hi = m[2] === undefined ? lo : Number(m[2])
  return {lo, hi, proto: m[3] ?? 'tcp'}
}

export function portAllowed(exposed: string, allow: readonly string[]): boolean {
  const p = parsePortSpec(exposed)
  if (!p) return false
  return allow.some((a) => {
    const r = parsePortSpec(a)
    return r !== undefined && r.proto === p.proto && p.lo >= r.lo && p.hi <= r.hi
  })
}

export const exposedPortsCheck: ImageCheck = {
  id: 'config.port.not-allowed',
  version: 1,
  rule: 'ports',
  findingIds: ['config.port.not-allowed'],
  run(ctx: ImageCheckContext): Finding[] {
    const allow = ctx.requirements.ports?.allow
    if (!allow) return []
    const exposed = Object.keys(ctx.config.config?.ExposedPorts ?? {}).sort()
    return exposed
      .filter((p) => !portAllowed(p, allow))
      .map((p) =>
        configFinding({
          id: 'config.port.not-allowed',
          severity: 'high',
          title: 'Image exposes a port the policy does not allow',
          rule: 'ports',
          evidence: `EXPOSE ${p}; allowed: ${allow.length ? allow.join(', ') : 'none'}`,
          subject: p,
        }),
      )
  },
}
