import {badAt, items, Leaf, MapNode, text, type Loc, type Node} from './tree.js'

/** One `ports` entry, short or long syntax, as the engine will bind it. */
interface PortSpec {
  /** '' when no address was given: every interface. */
  hostIp: string
  /** Host port or range; '' for a random host port (still published). */
  published: string
  /** Container port or range. */
  target: string
  protocol: string
  loc: Loc
  /** As written, for evidence. */
  text: string
  /** Variables this entry used that had no value. */
  unset: string[]
}

const PORT = /^\d{1,5}(-\d{1,5})?$/

export function allInterfaces(p: PortSpec): boolean {
  return p.hostIp === '' || p.hostIp === '0.0.0.0' || p.hostIp === '::' || p.hostIp === '[::]'
}

/** Compose-spec short syntax `[[IP:](port|range):](port|range)[/proto]`, IPv6 bracketed or not; long syntax. */
export function parsePorts(n: Node | undefined, service: string): PortSpec[] {
  return items(n).map((item) => {
    if (item instanceof MapNode) return longPort(item, service)
    if (!(item instanceof Leaf) || item.value === null)
      throw badAt(item.loc, `service "${service}": a port is a string, a number or a mapping`)
    return shortPort(String(item.value), item, service)
  })
}

function shortPort(s: string, item: Leaf, service: string): PortSpec {
  const bad = () => badAt(item.loc, `service "${service}": invalid port "${s}"`)
  const slash = s.lastIndexOf('/')
  const protocol = slash >= 0 ? s.slice(slash + 1) : 'tcp'
  const body = slash >= 0 ? s.slice(0, slash) : s
  let hostIp = ''
  let rest: string[]
  if (body.startsWith('[')) {
    const end = body.indexOf(']')
    if (end < 0 || body[end + 1] !== ':') throw bad()
    hostIp = body.slice(1, end)
    rest = body.slice(end + 2).split(':')
  } else {
    const parts = body.split(':')
    if (parts.length > 3) {
      // Unbracketed IPv6 (`::1:6000:6000`): the last two fields are the ports.
      rest = parts.slice(-2)
      hostIp = parts.slice(0, -2).join(':')
    } else if (parts.length === 3) {
      hostIp = parts[0] ?? ''
      rest = parts.slice(1)
    } else {
      rest = parts
    }
  }
  const target = rest[rest.length - 1] ?? ''
  const published = rest.length === 2 ? (rest[0] ?? '') : ''
  if (!PORT.test(target) || (published !== '' && !PORT.test(published)) || !/^[a-z]+$/.test(protocol)) throw bad()
  return {hostIp, published, target, protocol, loc: item.loc, text: s, unset: item.unset}
}

function longPort(m: MapNode, service: string): PortSpec {
  const target = text(m.get('target'))
  if (target === undefined || !PORT.test(target))
    throw badAt(m.loc, `service "${service}": a long-syntax port needs a numeric target`)
  const published = text(m.get('published')) ?? ''
  if (published !== '' && !PORT.test(published))
    throw badAt(m.at('published'), `service "${service}": invalid published port "${published}"`)
  const hostIp = (text(m.get('host_ip')) ?? '').replace(/^\[(.*)\]$/, '$1')
  const protocol = text(m.get('protocol')) ?? 'tcp'
  const unset = [...m.entries.values()].flatMap((v) => (v instanceof Leaf ? v.unset : []))
  const shown = `${hostIp ? `${hostIp}:` : ''}${published ? `${published}:` : ''}${target}/${protocol}`
  return {hostIp, published, target, protocol, loc: m.loc, text: shown, unset}
}

/** Ranges expanded (`9100-9102` is three ports), as the engine binds them; a bound keeps a typo from exploding. */
export function expandPorts(
  p: PortSpec,
): Array<{hostIp: string; published: number | null; target: number; protocol: string}> {
  const range = (s: string): number[] => {
    const [a, b] = s.split('-').map(Number)
    if (a === undefined || Number.isNaN(a)) return []
    const end = b === undefined || Number.isNaN(b) ? a : b
    return end < a || end - a > 1024 ? [a] : Array.from({length: end - a + 1}, (_, i) => a + i)
  }
  const targets = range(p.target)
  const published = p.published === '' ? [] : range(p.published)
  return targets.map((t, i) => ({
    hostIp: p.hostIp,
    // `8000-9000:80` lets the engine pick one host port of the range: the first stands for it.
    published:
      published.length === 0 ? null : ((published.length === targets.length ? published[i] : published[0]) ?? null),
    target: t,
    protocol: p.protocol,
  }))
}

export interface MountSpec {
  type: 'bind' | 'volume' | 'tmpfs' | 'other'
  /** Absolute host path for binds; volume name otherwise. */
  source: string
  target: string
  readOnly: boolean
  loc: Loc
  text: string
}

/** `volumes` short `SRC:DST[:MODE]` and long syntax; named volumes whose driver options bind a host path count as binds. */
export function parseMounts(n: Node | undefined, topVolumes: MapNode | undefined, service: string): MountSpec[] {
  return items(n).map((item) => {
    let m: MountSpec
    if (item instanceof MapNode) {
      const type = text(item.get('type')) ?? 'volume'
      m = {
        type: type === 'bind' || type === 'volume' || type === 'tmpfs' ? type : 'other',
        source: text(item.get('source')) ?? '',
        target: text(item.get('target')) ?? '',
        readOnly:
          item.get('read_only') instanceof Leaf &&
          ['true', 'True'].includes(String((item.get('read_only') as Leaf).value)),
        loc: item.loc,
        text: `${text(item.get('source')) ?? ''} -> ${text(item.get('target')) ?? ''}`,
      }
    } else {
      const s = text(item)
      if (s === undefined) throw badAt(item.loc, `service "${service}": a volume is a string or a mapping`)
      const parts = s.split(':')
      const [src, dst, mode] =
        parts.length === 1 ? ['', parts[0] ?? '', ''] : [parts[0] ?? '', parts[1] ?? '', parts[2] ?? '']
      m = {
        type: src === '' ? 'volume' : src.startsWith('/') ? 'bind' : 'volume',
        source: src,
        target: dst,
        readOnly: /(^|,)ro(,|$)/.test(mode),
        loc: item.loc,
        text: s,
      }
    }
    if (m.type === 'volume' && m.source) {
      // `driver_opts: {type: none, o: bind, device: /etc}` is a bind mount under another name.
      const def = topVolumes?.get(m.source)
      const opts = def instanceof MapNode ? def.get('driver_opts') : undefined
      const device = opts instanceof MapNode ? text(opts.get('device')) : undefined
      if (device?.startsWith('/') && /(^|,)r?bind(,|$)/.test(text((opts as MapNode).get('o')) ?? ''))
        m = {...m, type: 'bind', source: device, text: `${m.text} (volume ${m.source} binds ${device})`}
    }
    return m
  })
}

/** `user: name[:group]`: whether it names uid 0. */
export function userIsRoot(user: string): boolean {
  const name = user.split(':')[0] ?? ''
  return name === '0' || name === 'root'
}
