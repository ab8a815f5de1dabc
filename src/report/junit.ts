import {ruleInfo} from '../findings/rules.js'
import type {Finding} from '../findings/finding.js'
import type {Report} from './types.js'

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '')
}

/**
 * Jenkins, GitLab and most dashboards read a classname as `package.Class`, split at its dots: a registry host
 * (`registry.example.com`) or a tag (`1.2`) would scatter one image over a tree of packages. Its dots become `_`,
 * and the one dot left is ours, between the image and the finding's category.
 */
export function junitClassname(reference: string, category?: string): string {
  const image = reference.replace(/\./g, '_')
  return esc(category ? `${image}.${category}` : image)
}

function caseName(f: Finding): string {
  return esc(`${f.platform ? `[${f.platform}] ` : ''}${f.id} ${f.path ?? ''}${f.line ? `:${f.line}` : ''}`.trim())
}

/**
 * One testcase per finding that fails the verdict (failure) or not (passed, with the finding as system-out), one per
 * allowlisted finding (skipped, with the entry's reason), plus one for the verdict itself, so the counts a dashboard
 * shows match the report.
 */
export function renderJunit(r: Report): string {
  const failing = new Set((r.reasons ?? []).map((x) => x.id))
  const cases: string[] = []
  let failures = 0
  const suite = esc(r.image.reference)
  const verdictClass = junitClassname(r.image.reference)
  const verdictFailed = r.verdict === 'fail'
  const failure = (reasons: ReadonlyArray<{message: string; platform?: string}>) =>
    `<failure message="${esc(reasons.map((x) => `${x.platform ? `${x.platform}: ` : ''}${x.message}`).join('; ').slice(0, 2000))}" type="policy"/>`
  const verdictName = `verdict${r.policy ? ` (${esc(r.policy.name)})` : ''}`
  cases.push(`    <testcase classname="${verdictClass}" name="${verdictName}">${verdictFailed ? failure(r.reasons ?? []) : ''}</testcase>`)
  if (verdictFailed) failures++
  // An index: one verdict case per platform, so a dashboard shows which platform failed.
  for (const p of r.kind === 'vet' ? r.platforms ?? [] : []) {
    const failed = p.verdict === 'fail'
    if (failed) failures++
    cases.push(`    <testcase classname="${verdictClass}" name="verdict ${esc(p.platform)}">${failed ? failure(p.reasons ?? []) : ''}</testcase>`)
  }
  for (const f of r.findings) {
    const fails = r.kind === 'vet' ? failing.has(f.id) : f.severity === 'critical' || f.severity === 'high'
    if (fails) failures++
    const body = fails
      ? `<failure message="${esc(f.title)}" type="${esc(f.severity)}">${esc(`${f.evidence}${f.layer ? ` (layer ${f.layer.index})` : ''}\nRemedy: ${ruleInfo(f.id, f).remedy}`)}</failure>`
      : `<system-out>${esc(`${f.severity}: ${f.title}: ${f.evidence}`)}</system-out>`
    cases.push(`    <testcase classname="${junitClassname(r.image.reference, f.category)}" name="${caseName(f)}">${body}</testcase>`)
  }
  const suppressed = r.suppressed ?? []
  for (const f of suppressed) {
    cases.push(`    <testcase classname="${junitClassname(r.image.reference, f.category)}" name="${caseName(f)}"><skipped message="${esc(f.note ?? 'allowlisted')}"/></testcase>`)
  }
  // A run that could not complete is an error, not a passed verdict: the verdict case carries it.
  const errors = r.error ? 1 : 0
  if (r.error) cases[0] = `    <testcase classname="${verdictClass}" name="${verdictName}"><error message="${esc(r.error.message)}" type="${esc(r.error.code)}"/></testcase>`
  const counts = `tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${suppressed.length}"`
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="imgvet" ${counts}>`,
    `  <testsuite name="${suite}" ${counts}>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}
