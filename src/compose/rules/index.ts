import type {Finding} from '../../findings/finding.js'
import type {ComposeProject, ComposeService} from '../load.js'
import {items, MapNode, text} from '../tree.js'
import {PORT_RULES} from './ports.js'
import {PROJECT_RULES} from './project.js'
import {RUNTIME_RULES} from './runtime.js'
import {SUPPLY_RULES} from './supply.js'
import type {ImageFacts, ServiceRule} from './types.js'

export type {ImageFacts} from './types.js'

/** Every check of a service, in report order; adding one is a rule object and a line here. */
const SERVICE_RULES: readonly ServiceRule[] = [...PORT_RULES, ...RUNTIME_RULES, ...SUPPLY_RULES]
export {PROJECT_RULES}

/**
 * Which services reach `target` by name: depends_on, links, network_mode service:, or its name as a host in their
 * environment (`DB_HOST=db`, `mysql://db:3306/app`).
 */
function usedBy(project: ComposeProject, target: string): string[] {
  const host = new RegExp(`(^|[^A-Za-z0-9_.-])${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^A-Za-z0-9_-]|$)`)
  return project.services.filter((s) => s.name !== target && reaches(s, target, host)).map((s) => s.name)
}

function reaches(s: ComposeService, target: string, host: RegExp): boolean {
  const deps = s.node.get('depends_on')
  if (deps instanceof MapNode && deps.entries.has(target)) return true
  if (items(s.node.get('links')).some((l) => (text(l) ?? '').split(':')[0] === target)) return true
  if (text(s.node.get('network_mode')) === `service:${target}`) return true
  return [...s.environment.values()].some((l) => typeof l.value === 'string' && host.test(l.value))
}

export function checkProject(project: ComposeProject, images: ReadonlyMap<string, ImageFacts>): Finding[] {
  const out: Finding[] = []
  for (const service of project.services) {
    const image = images.get(service.name)
    const ctx = {project, service, usedBy: usedBy(project, service.name), ...(image ? {image} : {})}
    for (const r of SERVICE_RULES) out.push(...r.run(ctx))
  }
  for (const r of PROJECT_RULES) out.push(...r.run(project))
  return out
}
