import test from 'ava'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {FILE_CHECKS, IMAGE_CHECKS} from '../../src/checks/index.js'
import {DETECTORS} from '../../src/checks/secrets/detectors/index.js'
import type {TokenRule} from '../../src/checks/secrets/tokens.js'
import type {Finding} from '../../src/findings/finding.js'
import {catalogue, ruleInfo} from '../../src/findings/rules.js'
import {renderGitlab} from '../../src/report/gitlab.js'
import {renderSarif} from '../../src/report/sarif.js'
import {summarise, type Report} from '../../src/report/types.js'

const root = join(import.meta.dirname, '..', '..')
const EMITTERS = ['src/checks', 'src/signatures', 'src/policy', 'src/pipeline', 'src/layers', 'src/findings']

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

const src = (rel: string) => readFileSync(join(root, rel), 'utf8')
const union = (text: string, re: RegExp) => [...(re.exec(text)?.[1] ?? '').matchAll(/'([a-z0-9-]+)'/g)].map((m) => m[1] ?? '')

/** The ids finding code can produce: literals, plus the ids built from a kind (expanded from the kinds' sources). */
function emittedIds(): Set<string> {
  const ids = new Set<string>()
  const checkIds = new Set([...FILE_CHECKS, ...IMAGE_CHECKS].map((c) => c.id))
  const literal = /['`]((?:secret|private-key|cert|keystore|credential-file|config|policy|signature|provenance)\.[a-z0-9.-]+)['`]/g
  for (const f of EMITTERS.flatMap((d) => files(join(root, d)))) {
    if (f.endsWith('rules.ts')) continue
    for (const m of readFileSync(f, 'utf8').matchAll(literal)) {
      const id = m[1] ?? ''
      if (!checkIds.has(id) && id !== 'config.json') ids.add(id)
    }
  }
  const kindMap = /const KIND[^{]*\{([^}]*)\}/.exec(src('src/checks/secrets/private-keys.ts'))?.[1] ?? ''
  const keyKinds = [...kindMap.matchAll(/: '([a-z0-9]+)'/g)].map((m) => m[1] ?? '')
  for (const k of [...keyKinds, 'putty']) for (const s of ['', '-encrypted']) ids.add(`private-key.${k}${s}`)
  for (const k of union(src('src/checks/secrets/keystores.ts'), /format: ('[^\n]+)/)) for (const s of ['', '-default-password']) ids.add(`keystore.${k}${s}`)
  for (const k of union(src('src/checks/secrets/credential-files.ts'), /type Kind =([^]*?)\n\n/)) ids.add(`credential-file.${k}`)
  return ids
}

test('every id a check can emit is in the rule catalogue', (t) => {
  const known = new Set(catalogue().map((r) => r.id))
  const emitted = emittedIds()
  for (const d of DETECTORS) for (const r of (d as {rules?: readonly TokenRule[]}).rules ?? []) emitted.add(r.id)
  t.true(emitted.size > 80, `found ${emitted.size} ids`)
  t.deepEqual([...emitted].filter((id) => !known.has(id)).sort(), [], 'add these to src/findings/rules.ts')
})

test('catalogue ids are unique and every entry has a title, remedy and help', (t) => {
  const ids = catalogue().map((r) => r.id)
  t.is(new Set(ids).size, ids.length)
  for (const r of catalogue()) t.true(r.title.length > 3 && r.remedy.length > 10 && r.help.length > 10, r.id)
})

function report(findings: Finding[]): Report {
  return {
    kind: 'scan', tool: {name: 'imgvet', version: '0'}, image: {reference: 'reg/app:1', digest: 'sha256:00', platform: 'linux/amd64'},
    findings, summary: summarise(findings),
  }
}

const finding = (id: string, over: Partial<Finding> = {}): Finding => ({
  id, severity: 'high', category: 'config', title: 'finding title', rule: 'non-root', path: null, layer: null, removedIn: null,
  evidence: 'e', fingerprint: id, ...over,
})

test('SARIF help and GitLab solution come from the catalogue: a root user is not told to rotate a secret', (t) => {
  const fs = [finding('config.user.root', {severity: 'low'}), finding('secret.github-token', {category: 'secret', rule: 'no-credentials'})]
  const sarif = JSON.parse(renderSarif(report(fs))) as {runs: Array<{tool: {driver: {rules: Array<{id: string; help: {text: string}}>}}}>}
  const rules = sarif.runs[0]?.tool.driver.rules ?? []
  const root = rules.find((r) => r.id === 'config.user.root')
  t.regex(root?.help.text ?? '', /USER instruction/)
  t.notRegex(root?.help.text ?? '', /rotate/)
  t.regex(rules.find((r) => r.id === 'secret.github-token')?.help.text ?? '', /rotate/)
  const gl = JSON.parse(renderGitlab(report(fs))) as {vulnerabilities: Array<{identifiers: Array<{value: string}>; solution: string}>}
  t.is(gl.vulnerabilities[0]?.solution, ruleInfo('config.user.root').remedy)
  t.is(gl.vulnerabilities[1]?.solution, ruleInfo('secret.github-token').remedy)
})

test('an id missing from the catalogue still renders, with its category\'s remedy', (t) => {
  const info = ruleInfo('secret.made-up', {title: 'Made up', severity: 'high', category: 'secret', rule: 'no-credentials'})
  t.is(info.title, 'Made up')
  t.regex(info.remedy, /rotate/)
})
