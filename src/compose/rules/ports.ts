import type {Finding} from '../../findings/finding.js'
import {allInterfaces, expandPorts, parsePorts} from '../normalize.js'
import {items, text} from '../tree.js'
import {composeFinding, type ServiceContext, type ServiceRule} from './types.js'

/** Images that serve other containers, not users: databases, caches, queues, search, coordination. */
const BACKEND_NAMES = [
  'mysql|mariadb|percona|postgres|postgis|timescaledb|redis|valkey|keydb|mongo|mongodb|rabbitmq|memcached|elasticsearch|opensearch|couchdb',
  'couchbase|etcd|cassandra|scylla|kafka|zookeeper|nats|influxdb|clickhouse|cockroach|neo4j|mssql|oracle|db2|rethinkdb|arangodb',
].join('|')
const BACKEND_IMAGE = new RegExp(`(^|/)(${BACKEND_NAMES})([-_/:@]|$)`, 'i')
/** Their well-known ports. */
const BACKEND_PORTS = new Set([
  3306, 5432, 6379, 27017, 27018, 5672, 9200, 9300, 11211, 5984, 2379, 2380, 9042, 9092, 2181, 4222, 8086, 1433, 1521,
  26257, 7687, 8529, 28015, 61616,
])

function backendReason(ctx: ServiceContext, port: number): string | undefined {
  const image = text(ctx.service.node.get('image')) ?? ''
  const m = BACKEND_IMAGE.exec(image)
  if (m) return `${m[2]} is a backend image`
  if (BACKEND_PORTS.has(port)) return `${port} is a database/cache/queue port`
  if (ctx.usedBy.length > 0) return `other services reach it by name (${ctx.usedBy.join(', ')})`
  return undefined
}

/**
 * The seed's LAMP example: mysql serves only the web container, so it needs `expose`, while the web server's
 * 80/443 must be published. A port bound to 127.0.0.1 (or another single address) is not on every interface.
 */
const backendPublished: ServiceRule = {
  id: 'compose.port.backend-published',
  run(ctx) {
    const out: Finding[] = []
    for (const p of parsePorts(ctx.service.node.get('ports'), ctx.service.name)) {
      if (!allInterfaces(p)) continue
      const first = expandPorts(p)[0]
      const why = first ? backendReason(ctx, first.target) : undefined
      if (!why) continue
      out.push(
        composeFinding({
          id: this.id,
          severity: 'high',
          rule: 'ports',
          loc: p.loc,
          service: ctx.service.name,
          subject: p.text,
          title: 'Backend service published on all interfaces (use expose)',
          evidence:
            `${ctx.service.name} publishes ${p.text} on every host interface; ${why}: ` +
            'list the port under expose, or bind it to 127.0.0.1',
        }),
      )
    }
    return out
  },
}

/** A published port the image does not EXPOSE: nothing may listen there, or something undeclared does. */
const notExposed: ServiceRule = {
  id: 'compose.port.not-exposed',
  run(ctx) {
    if (!ctx.image) return []
    const declared = new Set([...ctx.image.exposed])
    for (const e of items(ctx.service.node.get('expose'))) {
      const s = text(e)
      if (s) declared.add(s.includes('/') ? s : `${s}/tcp`)
    }
    const out: Finding[] = []
    for (const p of parsePorts(ctx.service.node.get('ports'), ctx.service.name)) {
      const missing = expandPorts(p).filter((x) => !declared.has(`${x.target}/${x.protocol}`))
      if (missing.length === 0) continue
      out.push(
        composeFinding({
          id: this.id,
          severity: 'medium',
          rule: 'ports',
          loc: p.loc,
          service: ctx.service.name,
          subject: p.text,
          title: 'Published port the image does not expose',
          evidence:
            `${p.text}: the image exposes ${[...ctx.image.exposed].sort().join(', ') || 'no ports'}; ` +
            `${missing.map((x) => `${x.target}/${x.protocol}`).join(', ')} is not among them`,
        }),
      )
    }
    return out
  },
}

/** With the host's network stack every port the process opens is on the host's interfaces, published or not. */
const hostNetwork: ServiceRule = {
  id: 'compose.network.host',
  run(ctx) {
    const mode = text(ctx.service.node.get('network_mode'))
    if (mode !== 'host') return []
    return [
      composeFinding({
        id: this.id,
        severity: 'high',
        rule: 'ports',
        loc: ctx.service.node.at('network_mode'),
        service: ctx.service.name,
        subject: 'network_mode',
        title: 'Host network: every port the container opens is on the host',
        evidence:
          `network_mode: host gives ${ctx.service.name} the host's network namespace; ` +
          'publish the ports it needs instead',
      }),
    ]
  },
}

/** A variable without a value changes where the service listens; the file alone does not say where. */
const unsetPort: ServiceRule = {
  id: 'compose.port.unset-variable',
  run(ctx) {
    const out: Finding[] = []
    for (const p of parsePorts(ctx.service.node.get('ports'), ctx.service.name)) {
      if (p.unset.length === 0) continue
      out.push(
        composeFinding({
          id: this.id,
          severity: 'medium',
          rule: 'ports',
          loc: p.loc,
          service: ctx.service.name,
          subject: p.unset.join(','),
          title: 'Port depends on an unset variable',
          evidence: `${p.unset.map((v) => `\${${v}}`).join(', ')} not set: the port became "${p.text}"`,
        }),
      )
    }
    return out
  },
}

export const PORT_RULES: readonly ServiceRule[] = [backendPublished, notExposed, hostNetwork, unsetPort]
