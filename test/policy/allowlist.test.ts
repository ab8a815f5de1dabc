import test from 'ava'
import {newFinding, type Finding} from '../../src/findings/finding.js'
import {applyAllowlist, isExpired} from '../../src/policy/allowlist.js'
import type {AllowEntry} from '../../src/policy/types.js'

const NOW = new Date('2026-06-01T12:00:00Z')

function finding(id: string, path: string | null, secret = 's'): Finding {
  return newFinding({id, severity: 'high', category: 'secret', title: id, rule: 'no-credentials', path, evidence: 'AKIA********', subject: secret})
}

const f1 = finding('secret.aws-access-key', '/usr/lib/python3/dist-packages/botocore/data/example.json')
const f2 = finding('secret.aws-access-key', '/app/.env')
const f3 = finding('private-key.rsa', '/etc/ssl/private/server.key')

test('an entry suppresses what it matches, with the reason in note; others are kept', (t) => {
  const entries: AllowEntry[] = [{path: '/usr/lib/python3/**', id: 'secret.*', reason: 'botocore docs example', expires: '2026-12-31', line: 7}]
  const r = applyAllowlist([f1, f2, f3], entries, NOW, 'p.yaml')
  t.deepEqual(r.suppressed.map((f) => f.path), [f1.path])
  t.regex(r.suppressed[0]?.note ?? '', /botocore docs example/)
  t.deepEqual(r.kept, [f2, f3])
  t.deepEqual(r.notices, [])
})

test('all given matchers must hold: path and id together', (t) => {
  const entries: AllowEntry[] = [{path: '/app/**', id: 'private-key.*', reason: 'r', expires: '2030-01-01'}]
  const r = applyAllowlist([f2, f3], entries, NOW, 'p.yaml')
  t.is(r.suppressed.length, 0)
  t.is(r.notices[0]?.id, 'policy.allow.unused')
})

test('a fingerprint prefix matches', (t) => {
  const entries: AllowEntry[] = [{fingerprint: f3.fingerprint.slice(0, 12), reason: 'test cert', expires: '2030-01-01'}]
  t.deepEqual(applyAllowlist([f1, f3], entries, NOW, 'p.yaml').suppressed.map((f) => f.id), ['private-key.rsa'])
})

test('a path entry never matches a finding without a path', (t) => {
  const noPath = finding('config.user.root', null)
  const r = applyAllowlist([noPath], [{path: '**', reason: 'r', expires: '2030-01-01'}], NOW, 'p.yaml')
  t.deepEqual(r.kept, [noPath])
})

test('expiry is inclusive of the whole day, UTC', (t) => {
  const e = (expires: string): AllowEntry => ({id: 'x', reason: 'r', expires})
  t.false(isExpired(e('2026-06-01'), NOW))
  t.true(isExpired(e('2026-05-31'), NOW))
  t.false(isExpired(e('2026-06-01'), new Date('2026-06-01T23:59:59Z')))
  t.true(isExpired(e('2026-06-01'), new Date('2026-06-02T00:00:00Z')))
})

test('an expired entry stops applying, is reported, and marks the finding it used to hide', (t) => {
  const entries: AllowEntry[] = [{id: 'secret.aws-access-key', path: '/app/.env', reason: 'rotated key', expires: '2026-01-31', line: 12}]
  const r = applyAllowlist([f2], entries, NOW, 'p.yaml')
  t.is(r.suppressed.length, 0)
  t.is(r.kept.length, 1)
  t.regex(r.kept[0]?.note ?? '', /expired 2026-01-31/)
  t.is(r.notices.length, 1)
  t.like(r.notices[0], {id: 'policy.allow.expired', severity: 'low'})
  t.regex(r.notices[0]?.evidence ?? '', /p\.yaml:12.*expired 2026-01-31.*matched 1 finding/)
})

test('an entry that matched nothing is reported as unused; a used one is not', (t) => {
  const entries: AllowEntry[] = [
    {id: 'private-key.*', reason: 'test key', expires: '2030-01-01', line: 5},
    {path: '/nowhere/**', reason: 'old', expires: '2030-01-01', line: 9},
  ]
  const r = applyAllowlist([f3], entries, NOW, 'p.yaml')
  t.is(r.notices.length, 1)
  t.like(r.notices[0], {id: 'policy.allow.unused', severity: 'info'})
  t.regex(r.notices[0]?.evidence ?? '', /p\.yaml:9/)
})

test('an expired entry does not block a later live entry from suppressing', (t) => {
  const entries: AllowEntry[] = [
    {id: 'private-key.rsa', reason: 'old', expires: '2020-01-01'},
    {path: '/etc/ssl/**', reason: 'renewed', expires: '2030-01-01'},
  ]
  const r = applyAllowlist([f3], entries, NOW, 'p.yaml')
  t.regex(r.suppressed[0]?.note ?? '', /renewed/)
  t.deepEqual(r.notices.map((n) => n.id), ['policy.allow.expired'])
})

test('a package entry matches files that package owns, never one modified after install', (t) => {
  const owned = (content: 'unmodified' | 'modified' | 'unverified', name: string): Finding => ({
    ...finding('private-key.rsa', `/usr/share/${name}/${content}.key`),
    origin: {layer: 0, from: 'base', content, package: {manager: 'npm', name, version: '1.0.0'}},
  })
  const findings = [owned('unverified', 'node-forge'), owned('modified', 'node-forge'), owned('unverified', 'other'), f3]
  const r = applyAllowlist(findings, [{package: 'node-*', reason: 'test keys of forge', expires: '2030-01-01'}], NOW, 'p.yaml')
  t.deepEqual(r.suppressed.map((f) => f.path), ['/usr/share/node-forge/unverified.key'])
  t.is(r.kept.length, 3)
})
