import test from 'ava'
import {ImgvetError} from '../../src/errors.js'
import {
  checkIdentity,
  checkSubject,
  compileIdentityPolicy,
  isSigFailure,
  loadPublicGoodTrustRoot,
  parseDsseEnvelope,
  parseStatement,
  parseTrustRoot,
  summarizeProvenance,
} from '../../src/signatures/index.js'

const codeOf = (f: () => unknown): string => {
  try {
    f()
    return 'ok'
  } catch (e) {
    return isSigFailure(e) ? e.code : e instanceof ImgvetError ? `imgvet:${e.code}` : 'crash'
  }
}

test('identity policy is anchored, exact or regexp, and requires both halves', (t) => {
  const p = compileIdentityPolicy({subjectRegExp: 'https://github\\.com/org/repo/.+@refs/heads/main', issuer: 'https://i'})
  t.is(codeOf(() => checkIdentity(p, {identity: 'https://github.com/org/repo/.github/workflows/x.yml@refs/heads/main', issuer: 'https://i'})), 'ok')
  t.is(codeOf(() => checkIdentity(p, {identity: 'https://github.com/org/repo/.github/workflows/x.yml@refs/heads/main-evil', issuer: 'https://i'})), 'identity-mismatch')
  t.is(codeOf(() => checkIdentity(p, {identity: 'xhttps://github.com/org/repo/a@refs/heads/main', issuer: 'https://i'})), 'identity-mismatch')
  t.is(codeOf(() => checkIdentity(p, {identity: 'https://github.com/org/repo/a@refs/heads/main', issuer: 'https://i2'})), 'issuer-mismatch')
  t.is(codeOf(() => checkIdentity(p, {issuer: 'https://i'})), 'no-identity')
  t.is(codeOf(() => compileIdentityPolicy({subject: 'a'})), 'imgvet:usage')
  t.is(codeOf(() => compileIdentityPolicy({subject: 'a', subjectRegExp: 'a', issuer: 'i'})), 'imgvet:usage')
  t.is(codeOf(() => compileIdentityPolicy({subjectRegExp: '(', issuer: 'i'})), 'imgvet:usage')
})

test('DSSE envelope and in-toto statement parsing with subject binding', (t) => {
  const stmt = {
    _type: 'https://in-toto.io/Statement/v0.1',
    subject: [{name: 'img', digest: {sha256: 'AB'.repeat(32)}}],
    predicateType: 'https://example.com/x',
    predicate: {},
  }
  const env = parseDsseEnvelope({payloadType: 'application/vnd.in-toto+json', payload: Buffer.from(JSON.stringify(stmt)).toString('base64'), signatures: [{keyid: '', sig: 'AAAA'}]})
  t.is(env.signatures.length, 1)
  const s = parseStatement(env.payloadType, env.payload)
  t.is(checkSubject(s, Buffer.from('ab'.repeat(32), 'hex')).name, 'img')
  t.is(codeOf(() => checkSubject(s, Buffer.from('cd'.repeat(32), 'hex'))), 'subject-mismatch')
  t.is(codeOf(() => parseStatement('text/plain', env.payload)), 'payload-type')
  t.is(codeOf(() => parseStatement('application/vnd.in-toto+json', Buffer.from('{"_type":"x"}'))), 'bad-payload')
  t.is(codeOf(() => parseStatement('application/vnd.in-toto+json', Buffer.from('nope'))), 'bad-payload')
  t.is(codeOf(() => parseDsseEnvelope({payloadType: 'x', payload: '!!', signatures: []})), 'bad-payload')
  t.is(codeOf(() => parseDsseEnvelope(null)), 'bad-payload')
})

test('SLSA v0.2 provenance summary (GitHub generator and BuildKit shapes)', (t) => {
  const gh = summarizeProvenance({
    type: 'https://in-toto.io/Statement/v0.1',
    subjects: [],
    predicateType: 'https://slsa.dev/provenance/v0.2',
    predicate: {
      builder: {id: 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v1.9.0'},
      buildType: 'https://github.com/slsa-framework/slsa-github-generator/container@v1',
      invocation: {configSource: {uri: 'git+https://github.com/org/repo@refs/heads/main', digest: {sha1: 'abc123'}, entryPoint: '.github/workflows/x.yml'}},
      materials: [{uri: 'git+https://github.com/org/repo@refs/heads/main', digest: {sha1: 'abc123'}}, {uri: 'pkg:docker/alpine@3.19', digest: {sha256: 'ff'}}],
    },
  })
  t.deepEqual(gh, {
    slsaVersion: '0.2',
    builderId: 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v1.9.0',
    buildType: 'https://github.com/slsa-framework/slsa-github-generator/container@v1',
    sourceRepo: 'https://github.com/org/repo',
    sourceCommit: 'abc123',
    materials: [{uri: 'git+https://github.com/org/repo@refs/heads/main', digest: {sha1: 'abc123'}}, {uri: 'pkg:docker/alpine@3.19', digest: {sha256: 'ff'}}],
  })
  const bk = summarizeProvenance({
    type: 'https://in-toto.io/Statement/v0.1',
    subjects: [],
    predicateType: 'https://slsa.dev/provenance/v0.2',
    predicate: {
      builder: {id: 'https://github.com/docker-library'},
      buildType: 'https://mobyproject.org/buildkit@v1',
      metadata: {'https://mobyproject.org/buildkit@v1#metadata': {vcs: {source: 'https://github.com/docker-library/busybox', revision: 'deadbeef'}}},
    },
  })
  t.is(bk?.sourceRepo, 'https://github.com/docker-library/busybox')
  t.is(bk?.sourceCommit, 'deadbeef')
  t.is(bk?.builderId, 'https://github.com/docker-library')
  t.deepEqual(bk?.materials, [])
})

test('SLSA v1 provenance summary; other predicates give undefined', (t) => {
  const v1 = summarizeProvenance({
    type: 'https://in-toto.io/Statement/v1',
    subjects: [],
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: {
      buildDefinition: {
        buildType: 'https://actions.github.io/buildtypes/workflow/v1',
        externalParameters: {workflow: {ref: 'refs/heads/main', repository: 'https://github.com/org/repo', path: '.github/workflows/x.yml'}},
        resolvedDependencies: [{uri: 'git+https://github.com/org/repo@refs/heads/main', digest: {gitCommit: '0123abcd'}}, {noUri: true}],
      },
      runDetails: {builder: {id: 'https://github.com/actions/runner/github-hosted'}},
    },
  })
  t.is(v1?.slsaVersion, '1')
  t.is(v1?.buildType, 'https://actions.github.io/buildtypes/workflow/v1')
  t.is(v1?.builderId, 'https://github.com/actions/runner/github-hosted')
  t.is(v1?.sourceRepo, 'https://github.com/org/repo')
  t.is(v1?.sourceCommit, '0123abcd')
  t.is(v1?.materials.length, 1)
  t.is(summarizeProvenance({type: 'x', subjects: [], predicateType: 'https://spdx.dev/Document', predicate: {}}), undefined)
  t.notThrows(() => summarizeProvenance({type: 'x', subjects: [], predicateType: 'https://slsa.dev/provenance/v1', predicate: 'garbage'}))
})

test('public-good trust root loads offline from @sigstore/tuf and is non-empty', async (t) => {
  const r = await loadPublicGoodTrustRoot()
  t.true(r.root.tlogs.length > 0)
  t.true(r.root.certificateAuthorities.length > 0)
  t.true(r.root.tlogs.every((l) => l.publicKey?.validFor?.start instanceof Date))
})

test('trust root with a log key missing validFor.start is malformed input', (t) => {
  const root = {
    tlogs: [{baseUrl: 'x', hashAlgorithm: 'SHA2_256', publicKey: {rawBytes: 'AAAA', keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: {end: '2030-01-01T00:00:00Z'}}, logId: {keyId: 'AAAA'}}],
  }
  const e = t.throws(() => parseTrustRoot(root, 'r.json'))
  t.true(e instanceof ImgvetError && e.code === 'bad-input' && e.message.includes('validFor.start'))
  t.throws(() => parseTrustRoot([], 'r.json'), {instanceOf: ImgvetError})
})
