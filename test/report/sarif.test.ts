import test from 'ava'
import type {Finding} from '../../src/findings/finding.js'
import {catalogue, ruleInfo} from '../../src/findings/rules.js'
import {repositoryOf, renderSarif, sarifUri} from '../../src/report/sarif.js'
import {summarise, type Report} from '../../src/report/types.js'
import {sarifValidator} from '../e2e/sarif-schema.js'

const validate = sarifValidator()

function finding(id: string, over: Partial<Finding> = {}): Finding {
  const info = ruleInfo(id)
  return {
    id, severity: info.severity, category: info.category, title: info.title, rule: info.rule,
    path: '/etc/app/x', layer: {index: 1, digest: `sha256:${'a'.repeat(64)}`}, removedIn: null,
    evidence: 'redacted…', fingerprint: `${id.length}`.padStart(32, 'f'), ...over,
  }
}

function report(reference: string, findings: Finding[], suppressed: Finding[] = []): Report {
  return {
    kind: 'scan', tool: {name: 'imgvet', version: '0.0.0'}, image: {reference, digest: `sha256:${'b'.repeat(64)}`, platform: 'linux/amd64'},
    findings, suppressed, summary: summarise(findings),
  }
}

interface Log {
  runs: Array<{
    automationDetails: {id: string}
    tool: {driver: {rules: Array<{id: string; properties: Record<string, string>; help: {text: string}; defaultConfiguration: {level: string}}>}}
    results: Array<{ruleId: string; ruleIndex: number; level: string; properties: Record<string, string>; suppressions?: unknown[]}>
  }>
}

const parse = (r: Report) => JSON.parse(renderSarif(r)) as Log

test('the category is the repository and platform, whatever tag or digest was scanned', (t) => {
  const ids = ['reg.example:5000/team/app:1.2', 'reg.example:5000/team/app:1.3', `reg.example:5000/team/app@sha256:${'c'.repeat(64)}`]
    .map((ref) => parse(report(ref, [])).runs[0]?.automationDetails.id)
  t.deepEqual(ids, Array(3).fill('imgvet/reg.example:5000/team/app/linux/amd64/'))
  t.is(repositoryOf('reg.example:5000/team/app:1.2'), 'reg.example:5000/team/app', 'the port is not a tag')
  t.is(repositoryOf('reg.example:5000/team/app'), 'reg.example:5000/team/app')
})

test('URIs are percent-encoded per segment, so a space, % or colon in a path is a valid URI reference', (t) => {
  t.is(sarifUri('reg.example:5000/team/app', undefined, '/opt/my app/100%/a:b#c?d'),
    'reg.example_5000/team/app/opt/my%20app/100%25/a%3Ab%23c%3Fd')
  t.is(sarifUri('r/app', 'linux/arm64/v8', null), 'r/app/linux_arm64_v8/image-config')
  const log = parse(report('r.example/app:1', [finding('private-key.rsa', {path: '/opt/my app/100% real/id_rsa'})]))
  t.true(validate(log), JSON.stringify(validate.errors?.slice(0, 3)))
})

test('security-severity follows each result: a finding lowered to info is not shown with its rule\'s usual Medium', (t) => {
  t.is(ruleInfo('secret.jwt').severity, 'medium')
  const usual = finding('secret.jwt')
  const lowered = finding('secret.jwt', {severity: 'info', path: '/docs/example.md', fingerprint: 'e'.repeat(32), note: 'example value'})
  const log = parse(report('r.example/app:1', [usual, lowered]))
  t.true(validate(log), JSON.stringify(validate.errors?.slice(0, 3)))
  const run = log.runs[0]
  const rules = run?.tool.driver.rules ?? []
  const ruleOf = (i: number) => rules[run?.results[i]?.ruleIndex ?? -1]
  t.is(run?.results[0]?.ruleId, 'secret.jwt')
  t.is(ruleOf(0)?.properties['security-severity'], '5.5')
  t.is(run?.results[1]?.ruleId, 'secret.jwt/info')
  t.is(ruleOf(1)?.id, 'secret.jwt/info')
  t.is(ruleOf(1)?.properties['security-severity'], '0.1')
  t.is(ruleOf(1)?.defaultConfiguration.level, 'note')
  t.is(run?.results[1]?.level, 'note')
  t.is(run?.results[1]?.properties['security-severity'], '0.1')
})

test('suppressed findings are results with an external, accepted suppression carrying the reason', (t) => {
  const hidden = {...finding('private-key.rsa'), note: 'allowlisted until 2030-01-01: test key', allowedBy: 'allow.yaml:3'}
  const log = parse(report('r.example/app:1', [finding('secret.github-token')], [hidden]))
  t.true(validate(log), JSON.stringify(validate.errors?.slice(0, 3)))
  const results = log.runs[0]?.results ?? []
  t.is(results.length, 2)
  t.is(results[0]?.suppressions, undefined)
  t.deepEqual(results[1]?.suppressions, [{kind: 'external', status: 'accepted', justification: 'allowlisted until 2030-01-01: test key'}])
})

test('every rule has help of its own: no two catalogue rules share a help text, and the help fits the rule', (t) => {
  const rules = catalogue()
  const byHelp = new Map<string, string[]>()
  for (const r of rules) byHelp.set(r.help, [...(byHelp.get(r.help) ?? []), r.id])
  t.deepEqual([...byHelp.values()].filter((ids) => ids.length > 1), [])
  const log = parse(report('r/app:1', rules.map((r, i) => finding(r.id, {fingerprint: String(i).padStart(32, '0')}))))
  const helps = new Set(log.runs[0]?.tool.driver.rules.map((r) => r.help.text))
  t.is(helps.size, rules.length)
  const help = (id: string) => log.runs[0]?.tool.driver.rules.find((r) => r.id === id)?.help.text ?? ''
  t.notRegex(help('config.user.root'), /rotate|secret/i)
  t.regex(help('config.user.root'), /USER/)
  t.regex(help('secret.aws-secret-key'), /AWS secret access key/)
  t.regex(help('private-key.openssh'), /OpenSSH/)
})
