import type {Finding, Severity} from '../findings/finding.js'
import {ruleInfo} from '../findings/rules.js'
import type {Report} from './types.js'

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note'}
const SECURITY_SEVERITY: Record<Severity, string> = {critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.1'}

/**
 * The repository a reference names, without tag or digest: they change with every release and the alerts of one
 * image should not. Cutting at the first colon instead would cut `host:port/team/app` down to `host`.
 */
export function repositoryOf(reference: string): string {
  return reference.replace(/@.*$/, '').replace(/:[^/]*$/, '')
}

/**
 * GitHub reads a location URI with a colon as a scheme and rejects it unless it matches the checkout, so in-image
 * files become scheme-free pseudo-paths `<repository>/[<platform>/]<path-in-image>`, each segment of the path
 * percent-encoded (a space or `%` in a file name is still a valid URI reference); config findings point at
 * `image-config`. Repository (`host_port`) and platform (`linux_arm64_v8`) keep their long-standing spelling so
 * existing alerts do not move.
 */
export function sarifUri(repository: string, platform: string | undefined, path: string | null): string {
  const repo = repository.replace(/[^A-Za-z0-9._/-]/g, '_')
  const segments = (s: string) => s.split('/').filter((x) => x !== '').map(encodeURIComponent)
  // One platform of an index is its own location: the same file in two platforms is two places to fix.
  const inImage = [...(platform ? [platform.replace(/[^A-Za-z0-9._-]/g, '_')] : []), ...(path ? segments(path) : ['image-config'])]
  return [repo, ...inImage].join('/')
}

export function artifactUri(r: Report, f: Finding): string {
  return sarifUri(repositoryOf(r.image.reference), f.platform, f.path)
}

function resultMessage(f: Finding): string {
  const removed = f.removedIn ? ` (deleted in layer ${f.removedIn.index}, still in layer ${f.layer?.index})` : ''
  return `${f.platform ? `${f.platform}: ` : ''}${f.title}${f.path ? ` in ${f.path}` : ''}${removed}: ${f.evidence}`
}

export function renderSarif(r: Report): string {
  const suppressed = r.suppressed ?? []
  const rules = sarifRules([...r.findings, ...suppressed])
  const result = (f: Finding) => sarifResult(f, rules, {
    message: resultMessage(f),
    uri: artifactUri(r, f),
    fingerprint: f.fingerprint,
    properties: {
      severity: f.severity,
      category: f.category,
      layer: f.layer,
      removedIn: f.removedIn,
      ...(f.origin ? {origin: f.origin} : {}),
      imageDigest: r.platforms?.find((p) => p.platform === f.platform)?.digest ?? r.image.digest,
      ...(r.image.digestSynthesised ? {imageDigestSynthesised: true} : {}),
      ...(f.platform ? {platform: f.platform, indexDigest: r.image.digest} : {}),
    },
  })
  return sarifLog(r.tool.version, rules.rules, {
    // The repository (and platform) and nothing that moves: a new tag or digest of one image is the same category,
    // so its fixed alerts close. An index is one category whatever --platform narrowed it to.
    automationDetails: {id: `imgvet/${repositoryOf(r.image.reference)}/${r.image.platforms ? 'index' : r.image.platform}/`},
    results: [...r.findings.map(result), ...suppressed.map((f) => ({...result(f), suppressions: [suppression(f)]}))],
    properties: r.verdict ? {verdict: r.verdict, policy: r.policy} : undefined,
    invocations: [sarifInvocation(r.error)],
  })
}

/** An allowlisted finding is still reported, as suppressed with the entry's reason: GitHub shows it as dismissed. */
function suppression(f: Finding): object {
  return {kind: 'external', status: 'accepted', justification: f.note ?? 'allowlisted'}
}

/** A run that could not complete says so: GitHub shows the notification instead of "no alerts". */
function sarifInvocation(error: Report['error']): object {
  if (!error) return {executionSuccessful: true}
  return {executionSuccessful: false, toolExecutionNotifications: [
    {level: 'error', message: {text: error.message}, descriptor: {id: error.code}},
  ]}
}

/**
 * GitHub takes a result's security severity from its rule only. A finding whose severity differs from its rule's
 * usual one (an example key lowered to info, an expired token) therefore gets a rule of its own, `<id>/<severity>`,
 * so an info result is not shown as Medium; the id is stable, so the alert is too.
 */
function ruleKey(f: Finding): string {
  return f.severity === ruleInfo(f.id, f).severity ? f.id : `${f.id}/${f.severity}`
}

interface SarifRules {
  rules: object[]
  /** Where a finding's rule is: the id its result names and its index in `rules`. */
  of(f: Finding): {ruleId: string; ruleIndex: number}
}

/** One rule per finding id and severity, described by the rule catalogue, in id order; results point at them. */
export function sarifRules(findings: Iterable<Finding>): SarifRules {
  const byKey = new Map<string, Finding>()
  for (const f of findings) if (!byKey.has(ruleKey(f))) byKey.set(ruleKey(f), f)
  const keys = [...byKey.keys()].sort()
  const rules = keys.map((key) => {
    const f = byKey.get(key) as Finding
    const info = ruleInfo(f.id, f)
    const own = key === f.id ? '' : ` (reported as ${f.severity} here; usually ${info.severity})`
    return {
      id: key,
      name: key.replace(/[^A-Za-z0-9]+/g, '_'),
      shortDescription: {text: `${info.title}${own}`},
      fullDescription: {text: `${info.title}. ${info.help} (category ${info.category}; seed rule ${info.rule})`},
      help: {text: `imgvet rule ${f.id}: ${info.title}. ${info.help} Remedy: ${info.remedy}`,
        markdown: `**${info.title}** (\`${f.id}\`)\n\n${info.help}\n\n**Remedy:** ${info.remedy}`},
      defaultConfiguration: {level: LEVEL[f.severity]},
      properties: {'security-severity': SECURITY_SEVERITY[f.severity], tags: ['security', info.category, info.rule], precision: 'high'},
    }
  })
  const index = new Map(keys.map((k, i) => [k, i]))
  return {rules, of: (f) => ({ruleId: ruleKey(f), ruleIndex: index.get(ruleKey(f)) ?? -1})}
}

/** What a result says beyond its finding: how the two renderers word, place and fingerprint it differs. */
interface SarifResultParts {
  message: string
  uri: string
  fingerprint: string
  properties: Record<string, unknown>
}

export function sarifResult(f: Finding, rules: SarifRules, parts: SarifResultParts): object {
  return {
    ...rules.of(f),
    level: LEVEL[f.severity],
    message: {text: parts.message},
    locations: [
      {
        physicalLocation: {
          artifactLocation: {uri: parts.uri},
          ...(f.line ? {region: {startLine: f.line}} : {}),
        },
        logicalLocations: [
          ...(f.platform ? [{name: f.platform, kind: 'platform'}] : []),
          ...(f.layer ? [{name: `layer ${f.layer.index}`, fullyQualifiedName: f.layer.digest, kind: 'module'}] : []),
        ],
      },
    ],
    partialFingerprints: {primaryLocationLineHash: parts.fingerprint},
    properties: {...parts.properties, 'security-severity': SECURITY_SEVERITY[f.severity]},
  }
}

/** A SARIF 2.1.0 log with one run of imgvet; `run` holds the run's fields after `tool`, in output order. */
export function sarifLog(toolVersion: string, rules: readonly object[], run: {
  automationDetails: {id: string}; results: readonly object[]; properties: object | undefined; invocations?: object[]
}): string {
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'imgvet',
            version: toolVersion,
            informationUri: 'https://github.com/imgvet/imgvet',
            rules,
          },
        },
        ...run,
      },
    ],
  }
  return `${JSON.stringify(sarif, null, 2)}\n`
}
