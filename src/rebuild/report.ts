import {renderDockerfileText} from '../dockerfile/report.js'
import {formatTransport} from '../reference/transport.js'

import {escapeControl as e} from '../report/escape.js'
import {renderVetText} from '../report/text.js'
import {renderCompareText} from './compare.js'
import type {RebuildResult} from './rebuild.js'

/** Plain data for --format json: every stage's outcome, the combined verdict, and the comparison. */
export function rebuildJson(r: RebuildResult): unknown {
  return {
    verdict: r.pass ? 'pass' : 'fail',
    refused: r.refused ?? null,
    builders: r.builders,
    build: r.build ? {builder: r.build.builder, image: formatTransport(r.build.transport), digest: r.build.digest ?? null, seconds: r.build.seconds} : null,
    dockerfile: r.dockerfile.report,
    bases: r.bases.map((b) => ({reference: b.reference, checked: b.checked, findings: b.findings, failing: b.failing.map((f) => f.id)})),
    vet: r.vet?.report ?? null,
    compare: r.compare ?? null,
    report: r.report,
  }
}

export function renderRebuildText(r: RebuildResult, color: boolean): string {
  const out: string[] = []
  out.push(`${r.pass ? 'PASS' : 'FAIL'}  rebuild ${e(r.report.image.reference)}`)
  if (r.refused) out.push(`Not built: ${e(r.refused)}`)
  if (r.builders.length) {
    out.push('Builders:')
    for (const b of r.builders) out.push(`  ${b.name.padEnd(14)} ${b.usable ? 'usable' : b.found ? 'found, not usable' : 'not found'}  (${b.detail})`)
  }
  if (r.build) out.push(`Built with ${r.build.builder} in ${r.build.seconds.toFixed(1)} s: ${formatTransport(r.build.transport)}`)
  out.push('', '== Dockerfile check', renderDockerfileText(r.dockerfile.report, color).trimEnd())
  if (r.bases.length) {
    out.push('', '== Base images')
    for (const b of r.bases) {
      out.push(`  ${e(b.reference)}: ${b.checked ? 'signatures and provenance checked' : 'signatures not checked'}${b.failing.length ? `, fails (${b.failing.map((f) => f.id).join(', ')})` : ''}`)
      for (const f of b.findings) out.push(`    ${f.severity.toUpperCase().padEnd(8)} ${f.id}  ${e(f.evidence)}`)
    }
  }
  if (r.vet) out.push('', '== Vet of the rebuilt image', renderVetText(r.vet.report, {color}).trimEnd())
  if (r.compare) out.push('', '== Compare with upstream', renderCompareText(r.compare).trimEnd())
  return `${out.join('\n')}\n`
}
