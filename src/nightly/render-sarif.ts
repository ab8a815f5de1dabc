import {createHash} from 'node:crypto'
import {severityRank, type Finding, type Severity} from '../findings/finding.js'
import {VERSION} from '../pipeline/scan.js'
import type {ImageResult, RunReport} from './types.js'

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note'}
const SECURITY_SEVERITY: Record<Severity, string> = {critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.1'}
/** GitHub code scanning shows at most 5,000 and accepts at most 25,000 results per run. */
export const MAX_RESULTS = 25_000

/** Scheme-free pseudo-path `<repository>/<path in image>`: GitHub rejects a URI whose colon reads as a scheme. */
function uri(img: ImageResult, f: Finding): string {
  const repo = img.repository.replace(/[^A-Za-z0-9._/-]/g, '_')
  return `${repo}/${f.path ? f.path.replace(/^\/+/, '') : 'image-config'}`.replace(/:/g, '_')
}

/**
 * One SARIF run for the whole registry, not one per image: GitHub accepts at most 20 runs per file and a registry
 * has far more images. The run's automationDetails id names the registry (not the shard), so each night's upload
 * replaces the previous one and a merged report replaces its shards'. Images stay apart through the location
 * (repository in the path), result properties (reference, digest, platform) and a fingerprint that includes
 * repository and platform, so the same key in two images is two alerts.
 */
export function renderRegistrySarif(r: RunReport): string {
  const rows = r.images.flatMap((img) => img.findings.map((f) => ({img, f})))
  rows.sort((a, b) => severityRank(b.f.severity) - severityRank(a.f.severity) || a.img.repository.localeCompare(b.img.repository))
  const kept = rows.slice(0, MAX_RESULTS)
  const rules = new Map<string, Finding>()
  for (const {f} of kept) if (!rules.has(f.id)) rules.set(f.id, f)
  const ruleIds = [...rules.keys()].sort()
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'imgvet',
            version: VERSION,
            informationUri: 'https://github.com/imgvet/imgvet',
            rules: ruleIds.map((id) => {
              const f = rules.get(id) as Finding
              return {
                id,
                name: id.replace(/[^A-Za-z0-9]+/g, '_'),
                shortDescription: {text: f.title},
                fullDescription: {text: `${f.title} (category ${f.category}; seed rule ${f.rule})`},
                help: {text: `imgvet rule ${id}: ${f.title}. Remove the material from every layer (a later deletion does not remove it from the image) and rotate any exposed secret.`},
                defaultConfiguration: {level: LEVEL[f.severity]},
                properties: {'security-severity': SECURITY_SEVERITY[f.severity], tags: ['security', f.category, f.rule], precision: 'high'},
              }
            }),
          },
        },
        automationDetails: {id: `imgvet/registry/${r.run.registry}/`},
        results: kept.map(({img, f}) => ({
          ruleId: f.id,
          ruleIndex: ruleIds.indexOf(f.id),
          level: LEVEL[f.severity],
          message: {text: `${img.reference} (${img.platform}): ${f.title}${f.path ? ` in ${f.path}` : ''}: ${f.evidence}`},
          locations: [
            {
              physicalLocation: {artifactLocation: {uri: uri(img, f)}, ...(f.line ? {region: {startLine: f.line}} : {})},
              logicalLocations: f.layer ? [{name: `layer ${f.layer.index}`, fullyQualifiedName: f.layer.digest, kind: 'module'}] : [],
            },
          ],
          partialFingerprints: {primaryLocationLineHash: createHash('sha256').update(`${img.repository}\0${img.platform}\0${f.fingerprint}`).digest('hex').slice(0, 32)},
          properties: {severity: f.severity, category: f.category, reference: img.reference, repository: img.repository, digest: img.digest, platform: img.platform, verdict: img.verdict},
        })),
        properties: {
          registry: r.run.registry,
          images: r.images.length,
          failing: r.images.filter((i) => i.verdict === 'fail').length,
          errors: r.errors.map((e) => `${e.repository}${e.tag ? `:${e.tag}` : ''}: ${e.reason}`),
          ...(rows.length > kept.length ? {truncated: {results: rows.length, kept: kept.length, note: 'lowest severities dropped to fit the 25,000-result limit'}} : {}),
        },
      },
    ],
  }
  return `${JSON.stringify(sarif, null, 2)}\n`
}
