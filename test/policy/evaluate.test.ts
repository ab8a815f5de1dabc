import test from 'ava'
import {newFinding, type Finding, type Severity, type Category} from '../../src/findings/finding.js'
import {evaluate, requirementsFor} from '../../src/policy/evaluate.js'
import {loadPolicy, parsePolicy} from '../../src/policy/load.js'
import {runImageChecks} from '../../src/checks/config/index.js'

const NOW = new Date('2026-06-01T00:00:00Z')
const DIGEST = `sha256:${'b'.repeat(64)}`

function finding(id: string, severity: Severity, category: Category, path: string | null = null): Finding {
  return newFinding({id, severity, category, title: id, rule: 'no-credentials', path, evidence: 'x***', subject: id})
}

const policy = parsePolicy(
  `version: 1
name: team
scopes:
  - match: registry.example.com/team/**
    failOn: medium
    secrets: {failOn: low}
    allow:
      - {path: /usr/share/doc/**, reason: docs example, expires: 2026-12-31}
      - {id: secret.stale, reason: gone, expires: 2026-01-01}
  - match: '**'
`,
  'team.yaml',
)

test('no findings passes, with an empty reason list and the selected scope named', (t) => {
  const v = evaluate({policy, reference: 'nginx', findings: [], now: NOW})
  t.true(v.pass)
  t.deepEqual(v.reasons, [])
  t.deepEqual(v.policy.scope?.match, ['**'])
  t.is(v.reference, 'docker.io/library/nginx:latest')
})

test('secret thresholds apply to secret-like categories, failOn to the rest', (t) => {
  const findings = [finding('secret.x', 'medium', 'secret', '/app/a'), finding('config.fs.setuid', 'medium', 'config', '/bin/su')]
  // Scope 1 (**): defaults, high for both: neither fails.
  t.true(evaluate({policy, reference: 'alpine', findings, now: NOW}).pass)
  // Scope 0: secrets fail from low, config from medium.
  const v = evaluate({policy, reference: 'registry.example.com/team/api', findings, now: NOW})
  t.false(v.pass)
  t.deepEqual(v.reasons.map((r) => r.id).sort(), ['config.fs.setuid', 'secret.x'])
  t.like(v.reasons.find((r) => r.id === 'secret.x'), {path: '/app/a', severity: 'medium'})
  t.is(v.summary.failing, 2)
})

test('allowlisted findings are listed as suppressed with the reason and do not fail', (t) => {
  const f = finding('secret.aws', 'critical', 'secret', '/usr/share/doc/aws/README')
  const v = evaluate({policy, reference: 'registry.example.com/team/api', findings: [f], now: NOW})
  t.true(v.pass, JSON.stringify(v.reasons))
  t.is(v.suppressed.length, 1)
  t.regex(v.suppressed[0]?.note ?? '', /docs example/)
  t.false(v.findings.some((x) => x.id === 'secret.aws'))
  // The expired entry is reported, as a low finding that does not fail the gate on its own.
  t.true(v.findings.some((x) => x.id === 'policy.allow.expired'))
})

test('the same allowlist stops applying after its expiry date', (t) => {
  const f = finding('secret.aws', 'critical', 'secret', '/usr/share/doc/aws/README')
  const v = evaluate({policy, reference: 'registry.example.com/team/api', findings: [f], now: new Date('2027-01-01T00:00:00Z')})
  t.false(v.pass)
  t.is(v.suppressed.length, 0)
  t.deepEqual(v.reasons.map((r) => r.id), ['secret.aws'])
  t.is(v.findings.filter((x) => x.id === 'policy.allow.expired').length, 2)
})

test('a reference no scope covers fails with policy.no-scope', (t) => {
  const narrow = parsePolicy('version: 1\nscopes:\n  - match: docker.io/library/*\n', 'n.yaml')
  const v = evaluate({policy: narrow, reference: 'quay.io/evil/miner', findings: [], now: NOW})
  t.false(v.pass)
  t.is(v.policy.scope, null)
  t.deepEqual(v.reasons.map((r) => r.id), ['policy.no-scope'])
  t.regex(v.reasons[0]?.message ?? '', /quay\.io\/evil\/miner/)
})

test('summary counts unsuppressed findings by severity and category', (t) => {
  const findings = [finding('a', 'high', 'secret', '/a'), finding('b', 'info', 'config'), finding('c', 'info', 'config')]
  const v = evaluate({policy, reference: 'alpine', findings, now: NOW})
  t.like(v.summary.bySeverity, {critical: 0, high: 1, medium: 0, low: 0, info: 2})
  t.deepEqual(v.summary.byCategory, {secret: 1, config: 2})
})

test('release gate: tag-only references and unchecked signatures/provenance fail', async (t) => {
  const gate = await loadPolicy('release-gate')
  const v = evaluate({policy: gate, reference: 'registry.example.com/app:1.0', findings: [], now: NOW})
  t.false(v.pass)
  t.deepEqual(v.reasons.map((r) => r.id).sort(), ['policy.provenance.not-checked', 'policy.signatures.not-checked', 'policy.tag-only'])
  t.true(v.reasons.every((r) => r.severity === 'critical'))
  const checked = evaluate({policy: gate, reference: `registry.example.com/app@${DIGEST}`, findings: [], now: NOW, checked: {signatures: true, provenance: true}})
  t.true(checked.pass, JSON.stringify(checked.reasons))
})

test('default preset: unchecked optional signatures produce nothing, a root user fails', async (t) => {
  const def = await loadPolicy('default')
  const ref = 'docker.io/someone/tool:1'
  const config = {config: {User: '0'}, created: '2026-05-01T00:00:00Z'}
  const findings = runImageChecks({config, view: {entries: new Map(), files: new Map()}, requirements: requirementsFor(def, ref), now: NOW})
  const v = evaluate({policy: def, reference: ref, findings, now: NOW})
  t.false(v.pass)
  t.deepEqual(v.reasons.map((r) => r.id), ['config.user.root'])
  t.false(v.findings.some((f) => f.id.endsWith('.not-checked')))
})

test('docker-official: official images need their provenance checked; other references have no scope', async (t) => {
  const doi = await loadPolicy('docker-official')
  const v = evaluate({policy: doi, reference: 'nginx:1.27', findings: [], now: NOW})
  t.deepEqual(v.reasons.map((r) => r.id).sort(), ['policy.official.not-checked', 'policy.provenance.not-checked'])
  t.true(evaluate({policy: doi, reference: 'nginx:1.27', findings: [], now: NOW, checked: {official: true, provenance: true}}).pass)
  t.deepEqual(evaluate({policy: doi, reference: 'bitnami/nginx', findings: [], now: NOW}).reasons.map((r) => r.id), ['policy.no-scope'])
})

test('not-checked findings can be allowlisted like any other, with a reason and expiry', (t) => {
  const p = parsePolicy(
    'version: 1\nscopes:\n  - match: "**"\n    notChecked: high\n    signatures: {required: true}\n    allow:\n      - {id: policy.signatures.not-checked, reason: signing lands next sprint, expires: 2026-07-01}\n',
    'p.yaml',
  )
  const v = evaluate({policy: p, reference: 'alpine', findings: [], now: NOW})
  t.true(v.pass)
  t.is(v.suppressed[0]?.id, 'policy.signatures.not-checked')
})

test('reasons are ordered most severe first', (t) => {
  const findings = [finding('m', 'medium', 'config'), finding('c', 'critical', 'config'), finding('h', 'high', 'config')]
  const v = evaluate({policy, reference: 'registry.example.com/team/x', findings, now: NOW})
  t.deepEqual(v.reasons.map((r) => r.id), ['c', 'h', 'm'])
})
