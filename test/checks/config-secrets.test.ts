import test from 'ava'
import {detectConfigSecrets} from '../../src/checks/config-secrets.js'
import {githubToken, highEntropy} from '../support/fake-secrets.js'

test('ENV, labels and build-arg history leaks are found, with where', (t) => {
  const tok = githubToken()
  const pw = `${highEntropy(16)}9!`
  const argTok = githubToken()
  const ds = detectConfigSecrets({
    config: {Env: ['PATH=/usr/local/bin:/usr/bin', `DB_PASSWORD=${pw}`, `GITHUB_TOKEN=${tok}`, 'GPG_KEY=B42F6819007F00F88E364FD4036A9C25BF357DD4',
      'PYTHON_VERSION=3.12.1', 'PYTHON_SHA256=8b5d8d8c8bbf2a4a5b1d1a0cfa2a7d4e1b4c3f6e0d9a8b7c6d5e4f3a2b1c0d9e'], Labels: {'org.opencontainers.image.version': '1.2.3', 'ci.token': tok}},
    history: [
      {created_by: '/bin/sh -c #(nop)  ARG NPM_TOKEN'},
      {created_by: `|1 NPM_TOKEN=${argTok} /bin/sh -c npm ci`},
      {created_by: `/bin/sh -c #(nop)  ENV DB_PASSWORD=${pw}`},
    ],
  })
  // A high-entropy value is caught by the generic rule already; a lower-entropy one by the config rule.
  const by = (w: string) => ds.filter((d) => d.where.startsWith(w)).map((d) => d.id.replace(/^secret\.(generic|config)-assignment$/, 'assignment'))
  t.deepEqual(by('config.Env[1]'), ['assignment'])
  t.deepEqual(by('config.Env[2]'), ['secret.github-token'])
  t.deepEqual(by('config.Env[3]'), [], 'GPG_KEY is a fingerprint')
  t.deepEqual(by('config.Env[0]').concat(by('config.Env[4]'), by('config.Env[5]')), [])
  t.deepEqual(by('config.Labels[ci.token]'), ['secret.github-token'])
  t.deepEqual(by('config.Labels[org'), [])
  t.deepEqual(by('history[0]'), [])
  t.deepEqual(by('history[1]'), ['secret.github-token'])
  t.deepEqual(by('history[2]'), ['assignment'])
  const json = JSON.stringify(ds.map(({secret: _s, ...d}) => d))
  for (const s of [tok, pw, argTok]) t.false(json.includes(s))
})

test('config: a password that is not high-entropy still counts when it looks like one', (t) => {
  const ds = detectConfigSecrets({config: {Env: ['MYSQL_ROOT_PASSWORD=hunter2hunter2']}})
  t.deepEqual(ds.map((d) => [d.id, d.where, d.evidence]), [['secret.config-assignment', 'config.Env[0] MYSQL_ROOT_PASSWORD', 'MYSQL_ROOT_PASSWORD=hu******** (14 chars)']])
})

test('config: a secret name with a non-secret value is not a finding', (t) => {
  t.deepEqual(detectConfigSecrets({config: {Env: ['DB_PASSWORD=postgres', 'API_TOKEN=', 'SECRET_KEY_BASE_FILE=/run/secrets/k', 'TOKEN_URL=https://x/y']}}), [])
})
