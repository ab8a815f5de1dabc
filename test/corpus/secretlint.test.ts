import test from 'ava'
import {existsSync, readFileSync} from 'node:fs'
import type {Detection} from '../../src/checks/check.js'
import {CONTENT_CHECKS} from '../../src/checks/secrets/index.js'
import type {WalkEntry} from '../../src/layers/entry.js'
import {corpusDir} from './corpora.js'

/**
 * secretlint's labelled per-rule snapshots, read in place (never copied into the repository: they hold
 * realistic-looking fake secrets). See the corpus README for the case format.
 */
const ROOT = process.env.SECRETLINT_CORPUS ?? corpusDir('secretlint-snapshots')

interface Expected {line: number; endLine: number}
interface Case {
  rule: string
  case: string
  dir: string
  input: string
  sourceContentType: 'text' | 'binary'
  expected: Expected[]
}

/** Rules we claim, and which of our ids count as catching what they report (the generic rule counts anywhere). */
const IN_SCOPE: Record<string, RegExp> = {
  'secretlint-rule-anthropic': /^secret\.anthropic-key$/,
  'secretlint-rule-1password': /^secret\.onepassword-token$/,
  'secretlint-rule-cloudflare': /^secret\.cloudflare-/,
  'secretlint-rule-databricks': /^secret\.databricks-token$/,
  'secretlint-rule-docker': /^secret\.(docker-hub-token|docker-login-password)$/,
  'secretlint-rule-grafana': /^secret\.grafana-token$/,
  'secretlint-rule-hashicorp-vault': /^secret\.vault-token$/,
  'secretlint-rule-huggingface': /^secret\.huggingface-token$/,
  'secretlint-rule-linear': /^secret\.linear-key$/,
  'secretlint-rule-notion': /^secret\.notion-token$/,
  'secretlint-rule-shopify': /^secret\.shopify-token$/,
  'secretlint-rule-aws': /^secret\.aws-/,
  'secretlint-rule-azure': /^secret\.(azure-|generic-assignment$)/,
  'secretlint-rule-basicauth': /^secret\.url-credentials$/,
  'secretlint-rule-database-connection-string': /^secret\.url-credentials$/,
  'secretlint-rule-gcp': /^(secret\.gcp-service-account|keystore\.pkcs12-default-password)$/,
  'secretlint-rule-github': /^secret\.github-token$/,
  'secretlint-rule-gitlab': /^secret\.gitlab-token$/,
  'secretlint-rule-npm': /^(secret\.npm-token|credential-file\.npmrc|secret\.url-credentials)$/,
  'secretlint-rule-openai': /^secret\.openai-key$/,
  'secretlint-rule-privatekey': /^private-key\./,
  'secretlint-rule-sendgrid': /^secret\.sendgrid-key$/,
  'secretlint-rule-slack': /^secret\.slack-(token|webhook)$/,
  'secretlint-rule-stripe': /^secret\.stripe-key$/,
}

const OUT_OF_SCOPE_RULES: Record<string, string> = {
  'secretlint-rule-figma': 'provider token format not in our list (the generic rule catches assigned ones)',
  'secretlint-rule-groq': 'provider token format not in our list (the generic rule catches assigned ones)',
  'secretlint-rule-tailscale': 'provider token format not in our list',
  'secretlint-rule-vercel': 'provider token format not in our list',
  'secretlint-rule-secp256k1-privatekey': 'a bare 64-hex string is indistinguishable from a hash without context',
  'secretlint-rule-example': "secretlint's demo rule ('SECRET')",
  'secretlint-rule-filter-comments': "secretlint's inline-disable comments; imgvet suppresses through policy allowlists",
  'secretlint-rule-pattern': 'user-configured regular expressions',
  'secretlint-rule-no-homedir': 'a home directory path is not a credential',
  'secretlint-rule-no-k8s-kind-secret': 'manifest-kind rule (and its snapshots are negative because of an upstream case bug)',
  'secretlint-rule-no-dotenv': 'flags every .env by name; we flag a .env only when it holds a secret-like assignment',
}

/** Single cases of in-scope rules whose labels come from a secretlint option or a claim we do not make. */
const OUT_OF_SCOPE_CASES: Record<string, string> = {
  'secretlint-rule-aws/ng.AWS Account ID': 'an account id is not a credential',
  'secretlint-rule-aws/ok.AWS Access Key ID--enableIDScanRule-false': 'option not modelled: we always report key ids',
  'secretlint-rule-aws/options.allows': "secretlint's allows option; imgvet allowlists live in the policy",
  'secretlint-rule-azure/ng.ad_tenant_id': 'a tenant id is an identifier, not a secret',
  'secretlint-rule-azure/ng.azure_client_id': 'a client id is an identifier, not a secret',
}

/** Negative cases where we report on purpose, with why; anything else above info on a negative is a false positive. */
const BY_DESIGN: Record<string, {ids: RegExp; why: string}> = {
  'secretlint-rule-gcp/ok.secure-privatekey-p12': {ids: /^keystore\.pkcs12$/, why: 'any PKCS#12 in an image is reported (medium) even with a strong password'},
  'secretlint-rule-gcp/ok.invalid-p12-no-mac': {ids: /^keystore\.pkcs12$/, why: 'a valid PKCS#12 without MAC is still a keystore'},
  'secretlint-rule-gcp/ok.invalid-p12-huge-iter': {ids: /^keystore\.pkcs12$/, why: 'still a keystore; only the default-password probe is skipped'},
  // The file itself says its URLs 'should be properly handled by database-connection-string rule instead'.
  'secretlint-rule-basicauth/ok.database-urls-not-detected': {
    ids: /^secret\.url-credentials$/,
    why: 'a negative of the basic-auth rule only: a database password in a URL is the connection-string rule\'s positive',
  },
}

function scan(c: Case): Detection[] {
  const buf = readFileSync(`${ROOT}/${c.dir}/${c.input}`)
  // A plausible place in an image: an application folder, keeping the file name the rules may key on.
  const path = `/srv/app/${c.input}`
  const entry: WalkEntry = {path, type: 'file', mode: 0o644, uid: 0, gid: 0, size: buf.length, layer: {index: 1, digest: 'sha256:0'}}
  return CONTENT_CHECKS.flatMap((ch) => {
    if (ch.wants(entry) !== 'content') return []
    const max = ch.maxBytes ?? buf.length
    return ch.inspect(entry, buf.subarray(0, max), buf.length > max)
  })
}

function matches(d: Detection, e: Expected): boolean {
  return d.line === undefined || (d.line >= e.line && d.line <= e.endLine)
}

const present = existsSync(`${ROOT}/cases.json`)

;(present ? test : test.skip)('secretlint corpus: recall >= 0.97 and false positives <= 2% on the rules we claim', (t) => {
  const cases = JSON.parse(readFileSync(`${ROOT}/cases.json`, 'utf8')) as Case[]
  let expected = 0
  let recalled = 0
  let recalledAboveInfo = 0
  let negatives = 0
  let falsePositives = 0
  const misses: string[] = []
  const fps: string[] = []
  let oosExpected = 0
  let oosRecalled = 0
  const oosNegativeHits: string[] = []
  for (const c of cases) {
    const accept = IN_SCOPE[c.rule]
    const ds = scan(c)
    const inScope = accept !== undefined && OUT_OF_SCOPE_CASES[c.dir] === undefined
    if (!inScope) {
      t.truthy(OUT_OF_SCOPE_RULES[c.rule] ?? OUT_OF_SCOPE_CASES[c.dir], `${c.dir} needs a scope decision`)
      oosExpected += c.expected.length
      oosRecalled += c.expected.filter((e) => ds.some((d) => matches(d, e))).length
      if (c.expected.length === 0) {
        for (const d of ds.filter((x) => x.severity !== 'info')) oosNegativeHits.push(`${c.dir}: ${d.id} L${d.line}`)
      }
      continue
    }
    const ours = ds.filter((d) => accept.test(d.id) || d.id === 'secret.generic-assignment')
    for (const e of c.expected) {
      expected++
      const found = ours.filter((d) => matches(d, e))
      if (found.length > 0) recalled++
      else misses.push(`${c.dir} line ${e.line}`)
      if (found.some((d) => d.severity !== 'info')) recalledAboveInfo++
    }
    if (c.expected.length === 0) {
      negatives++
      const design = BY_DESIGN[c.dir]
      const bad = ds.filter((d) => d.severity !== 'info' && !(design?.ids.test(d.id) ?? false))
      if (bad.length > 0) {
        falsePositives++
        fps.push(`${c.dir}: ${bad.map((d) => `${d.id} L${d.line}`).join(', ')}`)
      }
    }
  }
  const recall = recalled / expected
  const fpRate = falsePositives / negatives
  t.log(`in scope: ${expected} expected findings, recalled ${recalled} (${(recall * 100).toFixed(1)}%), ` +
    `${recalledAboveInfo} of them above info (${((recalledAboveInfo / expected) * 100).toFixed(1)}%)`)
  t.log(`in scope: ${negatives} negative cases, ${falsePositives} with a finding above info (${(fpRate * 100).toFixed(1)}%)`)
  t.log(`misses: ${misses.length ? misses.join('; ') : 'none'}`)
  t.log(`false positives: ${fps.length ? fps.join('; ') : 'none'}`)
  t.log(`out of scope (informational): caught ${oosRecalled}/${oosExpected} expected findings anyway; ` +
    `${oosNegativeHits.length} findings above info on their negatives: ${oosNegativeHits.join('; ') || 'none'}`)
  t.true(expected > 50, 'the corpus has the in-scope cases we expect')
  t.true(recall >= 0.97, `recall ${recall}`)
  t.true(fpRate <= 0.02, `false-positive rate ${fpRate}`)
})
