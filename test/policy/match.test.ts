import test from 'ava'
import {explainScopes, globMatches, matchPattern, selectScope} from '../../src/policy/match.js'
import {compileIdentityPolicy} from '../../src/signatures/identity.js'
import {parsePolicy} from '../../src/policy/load.js'

const policy = parsePolicy(
  `version: 1
scopes:
  - match: registry.example.com/team/**
    description: team images
  - match: [docker.io/library/*, ghcr.io/trusted/*]
    description: official and trusted
  - match: '**'
    description: everything else
`,
  'scopes.yaml',
)

test('references are normalised before matching: nginx is docker.io/library/nginx', (t) => {
  t.is(selectScope(policy, 'nginx')?.index, 1)
  t.is(selectScope(policy, 'nginx:1.27@sha256:' + 'a'.repeat(64))?.index, 1)
  t.is(selectScope(policy, 'index.docker.io/library/alpine')?.index, 1)
})

test('first match wins, in file order', (t) => {
  t.is(selectScope(policy, 'registry.example.com/team/app/api:1')?.index, 0)
  t.is(selectScope(policy, 'registry.example.com/other/app')?.index, 2)
  t.is(selectScope(policy, 'ghcr.io/trusted/tool')?.index, 1)
  t.is(selectScope(policy, 'ghcr.io/trusted/tool/nested')?.index, 2, '* stays within one path component')
  t.is(selectScope(policy, 'bitnami/redis')?.index, 2, 'docker.io/bitnami/redis is not library')
})

test('no matching scope yields undefined', (t) => {
  const narrow = parsePolicy('version: 1\nscopes:\n  - match: docker.io/library/*\n', 'n.yaml')
  t.is(selectScope(narrow, 'quay.io/x/y'), undefined)
})

test('explain lists every scope with selected, shadowed and no-match', (t) => {
  const e = explainScopes(policy, 'nginx')
  t.is(e.reference, 'docker.io/library/nginx:latest')
  t.is(e.name, 'docker.io/library/nginx')
  t.is(e.selected, 1)
  t.deepEqual(e.scopes.map((s) => s.status), ['no-match', 'selected', 'shadowed'])
  t.is(e.scopes[1]?.matchedBy, 'docker.io/library/*')
  t.is(e.scopes[2]?.matchedBy, '**')
  t.is(e.scopes[0]?.line, 3)
})

test('a bad reference is a coded error', (t) => {
  const err = t.throws(() => explainScopes(policy, 'UPPER/Case'))
  t.is((err as {code?: string}).code, 'bad-reference')
})

test('registry ports and hosts match as written', (t) => {
  t.true(globMatches('localhost:5000/**', 'localhost:5000/a/b'))
  t.false(globMatches('localhost:5000/**', 'localhost:5001/a'))
})

test('builder patterns: /regex/ is anchored, anything else is a glob', (t) => {
  t.true(matchPattern('/https://github\\.com/docker-library(/.*)?/', 'https://github.com/docker-library/official-images'))
  t.false(matchPattern('/https://github\\.com/docker-library(/.*)?/', 'https://github.com/docker-library-evil/x'))
  t.true(matchPattern('https://github.com/org/**', 'https://github.com/org/repo/.github/workflows/x.yml@refs/heads/main'))
  t.false(matchPattern('https://github.com/org/*', 'https://github.com/org/repo/deeper'))
})

test('identity regexes are anchored so a suffix cannot smuggle a match', (t) => {
  const id = compileIdentityPolicy({issuer: 'https://accounts.google.com', subjectRegExp: '.*@example\\.com'})
  t.true(id.subject('me@example.com'))
  t.false(id.subject('me@example.com.evil.org'))
  t.false(id.issuer('https://other'))
  const exact = compileIdentityPolicy({issuer: 'i', subject: 's'})
  t.true(exact.subject('s') && exact.issuer('i'))
  t.false(exact.subject('s2'))
})
