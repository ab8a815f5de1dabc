import test from 'ava'
import {checkPolicyText, parsePolicy} from '../../src/policy/load.js'

const policy = (notation: string) => `version: 1
scopes:
  - match: registry.example.com/team/**
    signatures:
      required: true
${notation}`

test('signatures.notation: trust store paths resolve against the policy file, like keys', (t) => {
  const p = parsePolicy(policy('      notation:\n        trustStore: [certs/ca.pem, /etc/acme/root.pem]\n        identities: ["x509.subject: C=US, ST=WA, O=Acme, CN=Release"]\n'),
    'p.yaml', {path: '/srv/policies/p.yaml'})
  t.deepEqual(p.scopes[0]?.signatures?.notation, {trustStore: ['/srv/policies/certs/ca.pem', '/etc/acme/root.pem'], identities: ['x509.subject: C=US, ST=WA, O=Acme, CN=Release']})
})

test('signatures.notation: an identity Notation would refuse is named with its line; both halves are required', (t) => {
  const bad = checkPolicyText(policy('      notation:\n        trustStore: [ca.pem]\n        identities:\n          - "x509.subject: C=US, O=Acme"\n'), 'p.yaml').issues
  t.is(bad.length, 1, JSON.stringify(bad))
  t.like(bad[0], {line: 9, key: 'scopes[0].signatures.notation.identities[0]'})
  t.regex(bad[0]?.message ?? '', /lacks ST/)
  const half = checkPolicyText(policy('      notation:\n        trustStore: [ca.pem]\n'), 'p.yaml').issues
  t.like(half[0], {key: 'scopes[0].signatures.notation.identities', message: 'is required'})
  const overlap = checkPolicyText(policy('      notation:\n        trustStore: [ca.pem]\n        identities: ["x509.subject: C=US, ST=WA, O=Acme", "x509.subject: C=US, ST=WA, O=Acme, CN=Release"]\n'), 'p.yaml').issues
  t.regex(overlap[0]?.message ?? '', /overlaps/)
  const empty = checkPolicyText(policy('      notation:\n        trustStore: []\n        identities: ["*"]\n'), 'p.yaml').issues
  t.is(empty[0]?.key, 'scopes[0].signatures.notation.trustStore')
})
