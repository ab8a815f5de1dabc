import test from 'ava'
import {newFinding, withPlatform} from '../../src/findings/finding.js'
import {configFinding} from '../../src/checks/config/types.js'
import {composeFinding} from '../../src/compose/rules/types.js'
import {dfFinding} from '../../src/dockerfile/rules/types.js'
import {hostFinding} from '../../src/host/containers.js'
import {expectedFingerprint} from '../support/fingerprint.js'

const base = {id: 'secret.x', severity: 'high', category: 'secret', title: 'X', rule: 'no-credentials', evidence: 'AKIA****'} as const

test('newFinding: the fingerprint is id, path and subject hashed; the subject itself is not kept', (t) => {
  const f = newFinding({...base, path: '/etc/app.env', subject: 'AKIAEXAMPLESECRET'})
  t.is(f.fingerprint, expectedFingerprint('secret.x', '/etc/app.env', 'AKIAEXAMPLESECRET'))
  t.false(JSON.stringify(f).includes('AKIAEXAMPLESECRET'))
  t.deepEqual(Object.keys(f), ['id', 'severity', 'category', 'title', 'rule', 'path', 'layer', 'removedIn', 'evidence', 'fingerprint'])
  t.is(f.layer, null)
  t.is(f.removedIn, null)
})

test('newFinding: empty optional facts are left out, so every producer gives one JSON shape', (t) => {
  const f = newFinding({...base, subject: 's', note: '', service: '', expires: undefined, line: undefined})
  t.false('note' in f || 'service' in f || 'expires' in f || 'line' in f)
  const g = newFinding({...base, subject: 's', line: 0, note: 'example value', expires: '2030-01-01T00:00:00.000Z'})
  t.like(g, {line: 0, note: 'example value', expires: '2030-01-01T00:00:00.000Z'})
})

test('newFinding: a finding without a file keys on where it is instead, so one secret under two names is two', (t) => {
  const env = newFinding({...base, subject: 'v', where: 'ENV A_TOKEN'})
  t.is(env.path, null, 'where is not shown as a path')
  t.is(env.fingerprint, expectedFingerprint('secret.x', 'ENV A_TOKEN', 'v'))
  t.not(env.fingerprint, newFinding({...base, subject: 'v', where: 'ENV B_TOKEN'}).fingerprint)
  t.is(newFinding({...base, subject: 'v', path: '/f', where: 'ignored'}).fingerprint, expectedFingerprint('secret.x', '/f', 'v'))
})

test('the producers keep the fingerprints allowlists already name', (t) => {
  const cfg = configFinding({id: 'config.port.not-allowed', severity: 'medium', title: 'P', rule: 'ports', evidence: '22/tcp', subject: '22/tcp'})
  t.is(cfg.category, 'config')
  t.is(cfg.fingerprint, expectedFingerprint('config.port.not-allowed', null, '22/tcp'))
  const df = dfFinding('/src/Dockerfile', {id: 'dockerfile.user.root', severity: 'high', category: 'config', title: 'U', rule: 'non-root',
    line: 9, evidence: 'USER root', subject: 'root'})
  t.is(df.fingerprint, expectedFingerprint('dockerfile.user.root', '/src/Dockerfile', 'root'), 'the line is not in it')
  t.is(df.line, 9)
  const compose = composeFinding({id: 'compose.privileged', severity: 'critical', rule: 'non-root', title: 'P', evidence: 'privileged: true',
    loc: {file: 'compose.yaml', line: 4}, service: 'web', subject: 'privileged'})
  t.like(compose, {path: 'compose.yaml', line: 4, service: 'web', category: 'config'})
  t.is(compose.fingerprint, expectedFingerprint('compose.privileged', 'compose.yaml', 'web\u0000privileged'))
  const host = hostFinding({id: 'host.container.privileged', severity: 'critical', rule: 'non-root', title: 'P', evidence: 'e',
    source: 'engine', path: 'container:web', subject: '', container: 'web'})
  t.like(host, {source: 'engine', container: 'web'})
  t.is(host.fingerprint, expectedFingerprint('host.container.privileged', 'container:web', 'web\u0000'))
})

test('withPlatform: the platform joins the fingerprint, different per platform, idempotent', (t) => {
  const f = newFinding({...base, path: '/p', subject: 'secret'})
  const amd = withPlatform(f, 'linux/amd64')
  const arm = withPlatform(f, 'linux/arm64/v8')
  t.is(amd.platform, 'linux/amd64')
  t.not(amd.fingerprint, f.fingerprint)
  t.not(amd.fingerprint, arm.fingerprint)
  t.is(withPlatform(amd, 'linux/amd64'), amd)
  t.is(f.platform, undefined, 'the original (maybe a cached result) is not changed')
})
