import type {Finding, Severity} from '../findings/finding.js'
import {ruleInfo} from '../findings/rules.js'
import type {Report} from './types.js'

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note'}
const SECURITY_SEVERITY: Record<Severity, string> = {critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.1'}

/**
 * GitHub reads a location URI with a colon as a scheme and rejects it unless it matches the checkout, so in-image
 * files become scheme-free pseudo-paths: `<repository>/<path-in-image>`; config findings point at the image itself.
 */
export function artifactUri(r: Report, f: Finding): string {
  // Only the tag and digest go (they change with every release; the alert should not). Cutting at the first colon
  // instead cut `host:port/team/app` down to `host`, and every image of such a registry shared one location.
  const repo = r.image.reference.replace(/@.*$/, '').replace(/:[^/]*$/, '').replace(/[^A-Za-z0-9._/-]/g, '_')
  const inImage = f.path ? f.path.replace(/^\/+/, '') : 'image-config'
  // One platform of an index is its own location: the same file in two platforms is two places to fix.
  const platform = f.platform ? `${f.platform.replace(/[^A-Za-z0-9._-]/g, '_')}/` : ''
  return `${repo}/${platform}${inImage}`.replace(/:/g, '_')
}

export function renderSarif(r: Report): string {
  const {ruleIds, rules} = sarifRules(r.findings)
  return sarifLog(r.tool.version, rules, {
    // An index is one category whatever platforms were checked, so narrowing with --platform does not move alerts.
    automationDetails: {id: `imgvet/${r.image.reference.replace(/@.*$/, '')}/${r.image.platforms ? 'index' : r.image.platform}/`},
    results: r.findings.map((f) => sarifResult(f, ruleIds, {
      message: `${f.platform ? `${f.platform}: ` : ''}${f.title}${f.path ? ` in ${f.path}` : ''}${f.removedIn ? ` (deleted in layer ${f.removedIn.index}, still in layer ${f.layer?.index})` : ''}: ${f.evidence}`,
      uri: artifactUri(r, f),
      fingerprint: f.fingerprint,
      properties: {
        severity: f.severity,
        category: f.category,
        layer: f.layer,
        removedIn: f.removedIn,
        ...(f.origin ? {origin: f.origin} : {}),
        imageDigest: r.platforms?.find((p) => p.platform === f.platform)?.digest ?? r.image.digest,
        ...(f.platform ? {platform: f.platform, indexDigest: r.image.digest} : {}),
      },
    })),
    properties: r.verdict ? {verdict: r.verdict, policy: r.policy} : undefined,
    invocations: [sarifInvocation(r.error)],
  })
}

/** A run that could not complete says so: GitHub shows the notification instead of "no alerts". */
function sarifInvocation(error: Report['error']): object {
  if (!error) return {executionSuccessful: true}
  return {executionSuccessful: false, toolExecutionNotifications: [
    {level: 'error', message: {text: error.message}, descriptor: {id: error.code}},
  ]}
}

/** One rule per finding id, described by the rule catalogue, in id order; results point at them by index. */
export function sarifRules(findings: Iterable<Finding>): {ruleIds: string[]; rules: object[]} {
  const byId = new Map<string, Finding>()
  for (const f of findings) if (!byId.has(f.id)) byId.set(f.id, f)
  const ruleIds = [...byId.keys()].sort()
  const rules = ruleIds.map((id) => {
    const info = ruleInfo(id, byId.get(id))
    return {
      id,
      name: id.replace(/[^A-Za-z0-9]+/g, '_'),
      shortDescription: {text: info.title},
      fullDescription: {text: `${info.title}. ${info.help} (category ${info.category}; seed rule ${info.rule})`},
      help: {text: `imgvet rule ${id}: ${info.title}. ${info.help} Remedy: ${info.remedy}`},
      defaultConfiguration: {level: LEVEL[info.severity]},
      properties: {'security-severity': SECURITY_SEVERITY[info.severity], tags: ['security', info.category, info.rule], precision: 'high'},
    }
  })
  return {ruleIds, rules}
}

/** What a result says beyond its finding: how the two renderers word, place and fingerprint it differs. */
interface SarifResultParts {
  message: string
  uri: string
  fingerprint: string
  properties: Record<string, unknown>
}

export function sarifResult(f: Finding, ruleIds: readonly string[], parts: SarifResultParts): object {
  return {
    ruleId: f.id,
    ruleIndex: ruleIds.indexOf(f.id),
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
    properties: parts.properties,
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
