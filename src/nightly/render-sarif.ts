import {createHash} from 'node:crypto'
import {severityRank} from '../findings/finding.js'
import {VERSION} from '../pipeline/scan.js'
import {sarifLog, sarifResult, sarifRules, sarifUri} from '../report/sarif.js'
import type {RunReport} from './types.js'

/** GitHub code scanning shows at most 5,000 and accepts at most 25,000 results per run. */
const MAX_RESULTS = 25_000

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
  const rules = sarifRules(kept.map(({f}) => f))
  return sarifLog(VERSION, rules.rules, {
    automationDetails: {id: `imgvet/registry/${r.run.registry}/`},
    results: kept.map(({img, f}) => sarifResult(f, rules, {
      message: `${img.reference} (${img.platform}): ${f.title}${f.path ? ` in ${f.path}` : ''}: ${f.evidence}`,
      uri: sarifUri(img.repository, undefined, f.path),
      fingerprint: createHash('sha256').update(`${img.repository}\0${img.platform}\0${f.fingerprint}`).digest('hex').slice(0, 32),
      properties: {
        severity: f.severity, category: f.category,
        reference: img.reference, repository: img.repository, digest: img.digest, platform: img.platform, verdict: img.verdict,
      },
    })),
    properties: {
      registry: r.run.registry,
      ...(r.run.partial ? {partial: true, missingShards: r.run.missingShards ?? []} : {}),
      images: r.images.length,
      failing: r.images.filter((i) => i.verdict === 'fail').length,
      errors: r.errors.map((e) => `${e.repository}${e.tag ? `:${e.tag}` : ''}: ${e.reason}`),
      ...(rows.length > kept.length ? {truncated: {results: rows.length, kept: kept.length, note: 'lowest severities dropped to fit the 25,000-result limit'}} : {}),
    },
  })
}
