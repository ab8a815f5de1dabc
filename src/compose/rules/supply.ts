import {detectConfigSecrets} from '../../checks/config-secrets.js'
import {redact, type Finding} from '../../findings/finding.js'
import {literalText} from '../interpolate.js'
import {Leaf, MapNode, text, type Loc} from '../tree.js'
import {composeFinding, type ServiceRule} from './types.js'

const DIGEST = /@sha256:[a-f0-9]{64}$/
const REMOTE_CONTEXT = /^(https?|git|ssh):\/\/|^git@|^github\.com\//

/** `name[:tag][@digest]` → the tag ('' for `app:`, undefined for none), whether a digest pins it. */
function imageTag(ref: string): {tag: string | undefined; pinned: boolean} {
  const pinned = DIGEST.test(ref)
  const rest = ref.replace(/@.*$/, '')
  const colon = rest.lastIndexOf(':')
  return {tag: colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : undefined, pinned}
}

const image: ServiceRule = {
  id: 'compose.image',
  run(ctx) {
    const s = ctx.service
    const node = s.node.get('image')
    const ref = text(node)
    if (ref === undefined || !(node instanceof Leaf)) return []
    const base = {rule: 'trust-external' as const, loc: s.node.at('image'), service: s.name, subject: ref}
    const out: Finding[] = []
    const {tag, pinned} = imageTag(ref)
    if (node.unset.length > 0) {
      out.push(
        composeFinding({
          ...base,
          id: 'compose.image.unset-variable',
          severity: 'high',
          title: 'Image name depends on an unset variable',
          evidence: `${node.unset.map((v) => `\${${v}}`).join(', ')} not set: the image became "${ref}"`,
        }),
      )
    }
    if (!pinned && (tag === undefined || tag === 'latest' || tag === '')) {
      out.push(
        composeFinding({
          ...base,
          id: 'compose.image.latest',
          severity: 'high',
          title: 'Image without a fixed version',
          evidence:
            `${ref}: ${tag === undefined ? 'no tag means latest' : tag === '' ? 'an empty tag' : 'latest'}, ` +
            'whatever it points at on the day it is pulled',
        }),
      )
    } else if (!pinned) {
      out.push(
        composeFinding({
          ...base,
          id: 'compose.image.not-pinned',
          severity: 'medium',
          title: 'Image not pinned by digest',
          evidence: `${ref}: a tag can be moved to other content; pin it as ${ref}@sha256:...`,
        }),
      )
    }
    return out
  },
}

const build: ServiceRule = {
  id: 'compose.build',
  run(ctx) {
    const s = ctx.service
    const b = s.node.get('build')
    if (!(b instanceof MapNode)) return []
    const context = text(b.get('context')) ?? ''
    const out: Finding[] = []
    if (REMOTE_CONTEXT.test(context)) {
      out.push(
        composeFinding({
          id: 'compose.build.remote-context',
          severity: 'medium',
          rule: 'rebuild',
          loc: b.at('context'),
          service: s.name,
          subject: context,
          title: 'Built from a remote context',
          evidence: `build context ${context}: a Dockerfile nobody here vetted, fetched at build time`,
        }),
      )
    }
    if (s.node.get('image') === undefined) {
      out.push(
        composeFinding({
          id: 'compose.build.local',
          severity: 'info',
          rule: 'rebuild',
          loc: s.node.at('build'),
          service: s.name,
          subject: 'build',
          title: 'Built locally, not vetted',
          evidence: `${s.name} has only build: (no image): run imgvet dockerfile check on its Dockerfile`,
        }),
      )
    }
    return out
  },
}

/**
 * Credentials in environment (env_file entries included), build args and labels, through the same detectors as an
 * image config's ENV and labels. A value is judged as the file writes it: `${DB_PASSWORD}` is a reference, not a
 * secret, while `${DB_PASSWORD:-hunter2...}` puts its default in the file.
 */
const secrets: ServiceRule = {
  id: 'compose.secret',
  run(ctx) {
    const s = ctx.service
    const env: Array<{name: string; leaf: Leaf}> = [...s.environment].map(([name, leaf]) => ({name, leaf}))
    const b = s.node.get('build')
    const args = b instanceof MapNode ? b.get('args') : undefined
    for (const [name, leaf] of args instanceof MapNode ? args.entries : [])
      if (leaf instanceof Leaf) env.push({name, leaf})
    const labels = s.node.get('labels')
    const labelLeaves = new Map<string, Leaf>()
    for (const [k, v] of labels instanceof MapNode ? labels.entries : []) if (v instanceof Leaf) labelLeaves.set(k, v)
    const config = {
      config: {
        Env: env.map((e) => `${e.name}=${literalText(e.leaf)}`),
        Labels: Object.fromEntries([...labelLeaves].map(([k, v]) => [k, literalText(v)])),
      },
    }
    const out: Finding[] = []
    for (const d of detectConfigSecrets(config)) {
      const envIdx = /^config\.Env\[(\d+)\]/.exec(d.where)?.[1]
      const label = /^config\.Labels\[(.*)\]$/.exec(d.where)?.[1]
      const at: {loc: Loc; what: string} | undefined =
        envIdx !== undefined
          ? (() => {
              const e = env[Number(envIdx)]
              return e && {loc: e.leaf.loc, what: e.name}
            })()
          : label !== undefined && labelLeaves.get(label)
            ? {loc: (labelLeaves.get(label) as Leaf).loc, what: `label ${label}`}
            : undefined
      if (!at) continue
      out.push(
        composeFinding({
          id: d.id,
          severity: d.severity,
          rule: d.rule,
          category: d.category,
          loc: at.loc,
          service: s.name,
          subject: d.secret,
          title: d.title,
          evidence: prefixed(at.what, d.evidence ?? redact(d.secret)),
          note: d.note,
        }),
      )
    }
    return out
  },
}

/** `NAME: ...` unless the detector's evidence already starts with the name. */
function prefixed(what: string, evidence: string): string {
  return evidence.startsWith(`${what}=`) ? evidence : `${what}: ${evidence}`
}

export const SUPPLY_RULES: readonly ServiceRule[] = [image, build, secrets]
