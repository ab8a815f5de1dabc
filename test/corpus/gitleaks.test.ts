import test from 'ava'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {corpusDir, read, scanAs, table, type Tally} from './corpora.js'

/**
 * gitleaks' per-rule validation strings (see the corpus README): a `tp` must give at least one finding, an `fp`
 * none above info. An fp that `alsoPositiveOf` names another rule is rightly reported by a scanner that covers that
 * rule, so it counts on neither side. Each case is scanned as a file in an application folder, under its
 * `path_hint` when it has one.
 */
const ROOT = corpusDir('gitleaks-cases')

interface Case {rule: string; id: string; label: 'tp' | 'fp'; file: string; path_hint?: string; alsoPositiveOf?: string[]}

/** Rules whose cases we do not score, each with why. */
const OUT_OF_SCOPE: Record<string, string> = {
  'pkcs12-file': 'a path-only rule: its cases are empty files, and an empty file is not a keystore (imgvet reads PKCS#12 content)',
  'gcp-service-account': 'its one case is the line `"type": "service_account"` alone, which holds no key',
  'messagebird-client-id': 'a client id is an identifier, not a secret',
}

/**
 * Negatives that are real secrets by any rule of form: gitleaks drops them by listing their literal values (or by
 * path), which imgvet does not do. Each is scored on neither side and logged; the reason says why it is a secret.
 */
const GOOGLE_PUBLISHED = 'a real-format Google API key that Firebase\'s Android SDK publishes; gitleaks lists it by value'
const REAL_BY_VALUE: Record<string, string> = {
  ...Object.fromEntries(Array.from({length: 15}, (_, i) => [`gcp-api-key/fp-${String(i + 6).padStart(3, '0')}`, GOOGLE_PUBLISHED])),
  'generic-api-key/fp-043': "npm-search's Algolia key (yarn ships it); gitleaks lists it as a stopword by value",
  'nuget-config-password/fp-005': "the NuGet docs' sample password, in nuget.config; gitleaks lists it by value",
  'nuget-config-password/fp-006': "the NuGet docs' sample password, in nuget.config; gitleaks lists it by value",
  'mailchimp-api-key/fp-001': 'upstream marks it "False Negative": a real key its regex misses',
  'freemius-secret-key/fp-004': "tp-001's secret in foo.html: upstream limits the rule to *.php by path",
}

const present = existsSync(join(ROOT, 'cases.json'))

;(present ? test : test.skip)('gitleaks corpus: recall and negatives flagged, per rule and overall', (t) => {
  const cases = JSON.parse(readFileSync(join(ROOT, 'cases.json'), 'utf8')) as Case[]
  const rows = new Map<string, Tally>()
  const misses: string[] = []
  const flagged: string[] = []
  let either = 0
  const byValue: string[] = []
  for (const c of cases) {
    if (OUT_OF_SCOPE[c.rule]) continue
    const row = rows.get(c.rule) ?? {tp: 0, found: 0, fp: 0, flagged: 0}
    rows.set(c.rule, row)
    const ds = scanAs(`/srv/app/${c.path_hint ?? 'config.txt'}`, read(join(ROOT, c.file)))
    if (c.label === 'tp') {
      row.tp++
      if (ds.length > 0) row.found++
      else misses.push(c.id)
    } else if (c.alsoPositiveOf?.length) {
      either++
    } else if (REAL_BY_VALUE[c.id]) {
      if (ds.some((d) => d.severity !== 'info')) byValue.push(c.id)
    } else {
      row.fp++
      const bad = ds.filter((d) => d.severity !== 'info')
      if (bad.length > 0) {
        row.flagged++
        flagged.push(`${c.id}: ${bad.map((d) => `${d.id}:${d.severity}`).join(',')}`)
      }
    }
  }
  const sum = [...rows.values()].reduce((a, r) => ({tp: a.tp + r.tp, found: a.found + r.found, fp: a.fp + r.fp, flagged: a.flagged + r.flagged}),
    {tp: 0, found: 0, fp: 0, flagged: 0})
  const recall = sum.found / sum.tp
  const fpRate = sum.flagged / sum.fp
  t.log(`\n${table(rows)}`)
  t.log(`overall: recall ${sum.found}/${sum.tp} (${(recall * 100).toFixed(1)}%), negatives flagged ${sum.flagged}/${sum.fp} ` +
    `(${(fpRate * 100).toFixed(1)}%); ${either} negatives that another rule claims (alsoPositiveOf) not scored`)
  t.log(`real secrets gitleaks drops by value or path, flagged (not scored): ${byValue.length}/` +
    `${Object.keys(REAL_BY_VALUE).length}; with them, negatives flagged ${sum.flagged + byValue.length}/` +
    `${sum.fp + Object.keys(REAL_BY_VALUE).length}`)
  t.log(`misses: ${misses.join(', ') || 'none'}`)
  t.log(`negatives flagged: ${flagged.join('; ') || 'none'}`)
  t.log(`out of scope: ${Object.entries(OUT_OF_SCOPE).map(([k, v]) => `${k} (${v})`).join('; ')}`)
  t.true(sum.tp > 250, 'the corpus has the cases we expect')
  t.true(recall >= FLOOR.recall, `recall ${recall}`)
  t.true(fpRate <= FLOOR.flagged, `negatives flagged ${fpRate}`)
})

/**
 * Floors this tree reaches (see the log for the figures); raise them as detection improves. The one miss is
 * kubernetes-secret-yaml/tp-011, a CA certificate under a Secret's `data:`: public material, not reported.
 */
const FLOOR = {recall: 0.99, flagged: 0.01}
