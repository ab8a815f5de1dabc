import type {Report} from './types.js'

/**
 * The JSON reports' contract version (schemas/*.schema.json): bumped when a field is removed or changes meaning,
 * not when one is added, so code written against version N keeps working.
 */
export const SCHEMA_VERSION = 1

/** The JSON contract: `scan` → {image, findings, suppressed (by --allow), stats}; `vet` → {image, policy, verdict, findings, summary, ...}. */
export function renderJson(r: Report): string {
  const head = {schemaVersion: SCHEMA_VERSION, kind: r.kind, tool: r.tool, image: r.image}
  const out =
    r.kind === 'scan'
      ? {...head, ...platformFields(r), findings: r.findings, suppressed: r.suppressed ?? [],
        summary: r.summary, stats: r.stats}
      : {...head, policy: r.policy, verdict: r.verdict, ...platformFields(r), reasons: r.reasons ?? [],
        findings: r.findings, suppressed: r.suppressed ?? [], summary: r.summary, notes: r.notes ?? [], stats: r.stats}
  return `${JSON.stringify(r.error ? {...out, error: r.error} : out, null, 2)}\n`
}

/** Only an index has them: the platforms checked (with their verdicts) and the entries skipped. */
function platformFields(r: Report): {platforms?: Report['platforms']; skipped?: Report['skipped']} {
  return r.platforms ? {platforms: r.platforms, skipped: r.skipped ?? []} : {}
}
