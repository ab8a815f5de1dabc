import type {Report} from './types.js'

/** The JSON contract: `scan` → {image, findings, suppressed (by --allow), stats}; `vet` → {image, policy, verdict, findings, summary, ...}. */
export function renderJson(r: Report): string {
  const out =
    r.kind === 'scan'
      ? {tool: r.tool, image: r.image, ...platformFields(r), findings: r.findings, suppressed: r.suppressed ?? [],
        summary: r.summary, stats: r.stats}
      : {tool: r.tool, image: r.image, policy: r.policy, verdict: r.verdict, ...platformFields(r), reasons: r.reasons ?? [],
        findings: r.findings, suppressed: r.suppressed ?? [], summary: r.summary, notes: r.notes ?? [], stats: r.stats}
  return `${JSON.stringify(r.error ? {...out, error: r.error} : out, null, 2)}\n`
}

/** Only an index has them: the platforms checked (with their verdicts) and the entries skipped. */
function platformFields(r: Report): {platforms?: Report['platforms']; skipped?: Report['skipped']} {
  return r.platforms ? {platforms: r.platforms, skipped: r.skipped ?? []} : {}
}
