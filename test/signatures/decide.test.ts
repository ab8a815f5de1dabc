import test from 'ava'
import {parseReference} from '../../src/reference/reference.js'
import {
  decideOfficial,
  decideProvenance,
  parseStatement,
  summarizeProvenance,
  supplyChainFindings,
  type ProvenanceRecord,
  type SupplyChainSummary,
} from '../../src/signatures/index.js'
import {slsaV02, slsaV1, statementFor, SLSA_V02, SLSA_V1} from './support.js'

const digest = `sha256:${'cd'.repeat(32)}`
const DOI_BUILDER = 'https://github.com/docker-library/meta/.github/workflows/build.yml@refs/heads/main'

/** Provenance records as collectSupplyChain makes them, from real statements run through the real parser. */
function record(source: ProvenanceRecord['source'], signed: boolean, predicateType: string, predicate: unknown): ProvenanceRecord {
  const summary = summarizeProvenance(parseStatement('application/vnd.in-toto+json', statementFor(digest, predicateType, predicate)))
  if (!summary) throw new Error('not provenance')
  return {target: {digest, role: 'manifest'}, source, signed, location: 'test', digest, predicateType, summary}
}

const doiProvenance = record('buildkit', false, SLSA_V02, slsaV02(DOI_BUILDER))

test('docker.io/library image with docker-library BuildKit provenance is official, provenance unsigned', (t) => {
  const d = decideOfficial(parseReference('nginx:1.27'), [doiProvenance])
  t.true(d.official)
  t.is(d.builderId, DOI_BUILDER)
  t.regex(d.reason, /official provenance present, unsigned/)
  t.notRegex(d.reason, /\bsigned by|\bis signed/)
})

test('not official: other namespace, other registry, look-alike builder, no provenance, provenance only from .att', (t) => {
  t.false(decideOfficial(parseReference('bitnami/nginx'), [doiProvenance]).official)
  t.false(decideOfficial(parseReference('ghcr.io/library/nginx'), [doiProvenance]).official)
  const lookalike = record('buildkit', false, SLSA_V02, slsaV02('https://github.com/docker-library-evil/meta'))
  const d = decideOfficial(parseReference('nginx'), [lookalike])
  t.false(d.official)
  t.true(d.reason.includes('docker-library-evil'))
  t.regex(decideOfficial(parseReference('nginx'), []).reason, /no BuildKit provenance/)
  // The DOI mark is BuildKit provenance in the index; a pushed attestation cannot claim it.
  t.false(decideOfficial(parseReference('nginx'), [{...doiProvenance, source: 'cosign-attestation'}]).official)
})

test('provenance decision prefers signed matches and names what mismatched', (t) => {
  const signed = record('bundle', true, SLSA_V1, slsaV1('https://github.com/actions/runner/github-hosted'))
  const unsigned = record('buildkit', false, SLSA_V1, slsaV1('https://github.com/actions/runner/github-hosted'))
  t.is(decideProvenance({}, []).status, 'missing')
  const best = decideProvenance({builderIds: ['https://github.com/actions/**']}, [unsigned, signed])
  t.is(best.status, 'satisfied')
  t.is(decideProvenance({builderIds: ['https://github.com/actions/**']}, [unsigned]).status, 'unsigned')
  const b = decideProvenance({builderIds: ['/https://gitlab\\.com/.*/']}, [signed])
  t.deepEqual(b, {status: 'builder-mismatch', found: ['https://github.com/actions/runner/github-hosted'], expected: ['/https://gitlab\\.com/.*/']})
  const s = decideProvenance({sourceRepositories: ['https://github.com/other/*']}, [signed])
  t.deepEqual(s, {status: 'source-mismatch', found: ['https://github.com/org/repo'], expected: ['https://github.com/other/*']})
})

function summary(over: Partial<SupplyChainSummary>): SupplyChainSummary {
  return {
    reference: 'docker.io/library/nginx:1.27', imageDigest: digest, requirements: {signatures: false, signersFromFlags: false, provenance: {required: true}, official: true, signers: [], signatureRepository: 'docker.io/library/nginx', trustRoot: 'test'},
    verified: true, reasons: [], signatures: [], provenance: [doiProvenance], official: decideOfficial(parseReference('nginx'), [doiProvenance]),
    outcomes: {signatures: {status: 'missing'}, provenance: {status: 'unsigned', record: doiProvenance}}, looked: [], referrersVia: [], ...over,
  }
}

test('official image findings: one info finding saying unsigned, no provenance.unsigned, never "signed"', (t) => {
  const fs = supplyChainFindings(summary({}))
  t.deepEqual(fs.map((f) => [f.id, f.severity]), [['official.provenance-unsigned', 'info']])
  t.regex(fs[0]?.title ?? '', /official provenance present, unsigned/)
  t.regex(fs[0]?.evidence ?? '', /Docker Content Trust is retired/)
})

test('official required but not official: official.not-official high with the reason', (t) => {
  const official = decideOfficial(parseReference('nginx'), [])
  const fs = supplyChainFindings(summary({official, provenance: [], outcomes: {signatures: {status: 'missing'}, provenance: {status: 'missing'}}}))
  t.deepEqual(fs.map((f) => [f.id, f.severity]).sort(), [['official.not-official', 'high'], ['provenance.missing', 'high']])
  // Same repository, same id: a stable fingerprint an allowlist can name.
  const again = supplyChainFindings(summary({reference: 'docker.io/library/nginx@sha256:' + 'ef'.repeat(32), official, provenance: [], outcomes: {signatures: {status: 'missing'}, provenance: {status: 'missing'}}}))
  t.deepEqual(again.map((f) => f.fingerprint).sort(), fs.map((f) => f.fingerprint).sort())
})
