import type {Finding} from '../../findings/finding.js'
import {MapNode, text} from '../tree.js'
import {composeFinding, type ProjectRule} from './types.js'

/** The label keys that say whose data a service holds and how sensitive it is (seed: one of each per host). */
const OWNER_LABELS = ['imgvet.owner', 'imgvet.sensitivity'] as const

/**
 * Services of one file are started on one host. Once any service states an owner or sensitivity, a service with
 * another value, or none ("unknown"), shares that host with it.
 */
const mixedOwners: ProjectRule = {
  id: 'compose.owner.mixed',
  run(project) {
    const out: Finding[] = []
    for (const key of OWNER_LABELS) {
      const values = project.services.map((s) => {
        const labels = s.node.get('labels')
        const v = labels instanceof MapNode ? text(labels.get(key)) : undefined
        return {s, v, loc: labels instanceof MapNode && labels.get(key) ? labels.at(key) : s.loc}
      })
      if (!values.some((x) => x.v !== undefined)) continue
      const groups = new Map<string, string[]>()
      for (const x of values) groups.set(x.v ?? '(unknown)', [...(groups.get(x.v ?? '(unknown)') ?? []), x.s.name])
      if (groups.size < 2) continue
      const [firstValue] = groups.keys()
      const summary = [...groups].map(([v, names]) => `${v}: ${names.join(', ')}`).join('; ')
      for (const x of values.filter((y) => (y.v ?? '(unknown)') !== firstValue)) {
        out.push(
          composeFinding({
            id: this.id,
            severity: 'high',
            rule: 'single-owner',
            loc: x.loc,
            service: x.s.name,
            subject: key,
            title: `Services of different ${key.replace('imgvet.', '')} share a host`,
            evidence: `${key} ${x.v ?? 'unset'} differs from ${firstValue} in the same file (${summary})`,
          }),
        )
      }
    }
    return out
  },
}

const remoteInclude: ProjectRule = {
  id: 'compose.include.remote',
  run(project) {
    return project.remoteIncludes.map((r) =>
      composeFinding({
        id: this.id,
        severity: 'medium',
        rule: 'trust-external',
        loc: r.loc,
        service: '',
        subject: r.url,
        title: 'Remote include not checked',
        evidence: `include ${r.url}: services from outside this repository, fetched at run time; not checked`,
      }),
    )
  },
}

export const PROJECT_RULES: readonly ProjectRule[] = [mixedOwners, remoteInclude]
