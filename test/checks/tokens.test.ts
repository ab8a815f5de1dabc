import {createHash} from 'node:crypto'
import test from 'ava'
import {validBase62Checksum} from '../../src/checks/secrets/checksum.js'
import {detectInText} from '../../src/checks/secrets/index.js'
import {judgeTime} from '../../src/findings/time.js'
import {githubToken, githubTokenChecksumValid, highEntropy} from '../support/fake-secrets.js'
import {jwt, npmToken} from './secret-fixtures.js'

const ids = (text: string, path = '/app/x.txt') => detectInText(text, path).map((d) => `${d.id}:${d.severity}`)

test('GitHub classic token: checksum agrees with an independent implementation', (t) => {
  for (let i = 0; i < 20; i++) {
    const tok = githubToken(['ghp', 'gho', 'ghu', 'ghs', 'ghr'][i % 5])
    t.true(githubTokenChecksumValid(tok))
    t.true(validBase62Checksum(tok, 4))
    t.deepEqual(ids(`token: ${tok}`), ['secret.github-token:high'])
  }
})

test('GitHub classic token with a broken checksum is low with a note', (t) => {
  const tok = githubToken()
  const broken = tok.slice(0, -1) + (tok.endsWith('A') ? 'B' : 'A')
  const [d] = detectInText(`x ${broken}`, '/app/x')
  t.is(d?.severity, 'low')
  t.regex(d?.note ?? '', /checksum/)
})

test('GitHub fine-grained PAT, GitLab, PyPI, Google, Twilio, Slack webhook', (t) => {
  t.deepEqual(ids(`github_pat_${highEntropy(22)}_${highEntropy(59)}`), ['secret.github-token:high'])
  t.deepEqual(ids(`glpat-${highEntropy(20)}`), ['secret.gitlab-token:high'])
  t.deepEqual(ids(`pypi-AgEIcHlwaS5vcmc${highEntropy(140)}`), ['secret.pypi-token:high'])
  t.deepEqual(ids(`pypi-AgEIcHlwaS5vcmc${highEntropy(60)}`), [], 'a macaroon too short to hold its id and signature')
  t.deepEqual(ids(`AIza${highEntropy(35)}`), ['secret.google-api-key:medium'])
  t.deepEqual(ids(`SK${createHash('sha256').update('twilio').digest('hex').slice(0, 32)}`), ['secret.twilio-key:medium'])
  t.deepEqual(ids(`https://hooks.slack.com/services/T${highEntropy(8).toUpperCase()}/B${highEntropy(8).toUpperCase()}/${highEntropy(24)}`),
    ['secret.slack-webhook:medium'])
})

test('npm token checksum', (t) => {
  t.deepEqual(ids(npmToken()), ['secret.npm-token:high'])
  t.deepEqual(ids(`npm_${highEntropy(36)}`), ['secret.npm-token:low'])
})

test('Stripe: live high, test low, publishable ignored, mid-word ignored', (t) => {
  t.deepEqual(ids(`sk_live_${highEntropy(24)}`), ['secret.stripe-key:high'])
  t.deepEqual(ids(`rk_test_${highEntropy(24)}`), ['secret.stripe-key:low'])
  t.deepEqual(ids(`pk_live_${highEntropy(24)} xsk_live_${highEntropy(24)}`), [])
})

test('JWT: signed reported, alg none and expired handled', (t) => {
  t.deepEqual(ids(jwt('HS256', Math.floor(Date.now() / 1000) + 600)), ['secret.jwt:medium'])
  // Unsigned: usable only against a server that accepts alg none, so reported low, never dropped.
  t.deepEqual(ids(jwt('none')), ['secret.jwt:low'])
  t.regex(detectInText(jwt('none'), '/app/x')[0]?.note ?? '', /unsigned/)
  // The detection keeps the fact; the judgement is made at report time (cached layers never go stale).
  const [old] = detectInText(jwt('RS256', 1_600_000_000), '/app/x')
  t.is(old?.severity, 'medium')
  t.is(old?.expires, '2020-09-13T12:26:40.000Z')
  t.notRegex(old?.note ?? '', /expired/)
  const judged = old && judgeTime(old)
  t.is(judged?.severity, 'low')
  t.regex(judged?.note ?? '', /expired 2020-09-13/)
  const soon = detectInText(jwt('RS256', 1_600_000_000), '/app/x').map((d) => judgeTime(d, Date.parse('2020-01-01')))
  t.is(soon[0]?.severity, 'medium')
  t.regex(soon[0]?.note ?? '', /expires 2020-09-13/)
})

test('documented example values are info with a note', (t) => {
  const [id] = detectInText('aws_access_key_id = AKIAIOSFODNN7EXAMPLE', '/app/x')
  t.is(id?.severity, 'info')
  t.regex(id?.note ?? '', /documented example/)
  const pair = detectInText('AKIAIOSFODNN7EXAMPLE\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '/app/x')
  t.true(pair.length > 0 && pair.every((d) => d.severity === 'info'))
  const [jwtIo] = detectInText('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c', '/app/x')
  t.is(jwtIo?.severity, 'info')
})

test('fixtures under test folders are info with the reason', (t) => {
  const tok = githubToken()
  for (const path of [
    '/usr/lib/python3/site-packages/botocore/tests/unit/cfg.py', '/app/node_modules/pkg/test/fixture.js',
    '/go/src/x/testdata/key', '/srv/app/fixtures/a.txt', '/srv/app/examples/a.txt', '/src/x/auth_test.go',
    '/usr/share/doc/pkg/README',
  ]) {
    const [d] = detectInText(`t = "${tok}"`, path)
    t.is(d?.severity, 'info', path)
    t.truthy(d?.note, path)
  }
  t.is(detectInText(`t = "${tok}"`, '/srv/app/main.py')[0]?.severity, 'high')
})

test('line numbers are 1-based', (t) => {
  const tok = githubToken()
  t.deepEqual(detectInText(`a\nb\n\n  ${tok}\n`, '/x').map((d) => d.line), [4])
})

test('tokens: negatives', (t) => {
  t.deepEqual(ids('gXX_wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx glpat-abc sk-ant-api05-short SG.short.x xoxb-'), [])
  t.deepEqual(ids(`sk-${highEntropy(48)}`), [], 'no OpenAI marker, no OpenAI finding')
})

test('JWT with a damaged header: low when it still opens like a JOSE header over JSON claims', (t) => {
  const good = jwt('HS256')
  const [, payload, sig] = good.split('.')
  // `{"alg":'z","typ":"JWT"}`: one quote changed, so the header is not JSON any more.
  const header = Buffer.from(`{"alg":'z","typ":"JWT"}`).toString('base64url')
  t.deepEqual(ids(`JWT := ${header}.${payload}.${sig}`), ['secret.jwt:low'])
  // Near misses: no signature, claims that are not JSON, a header that is not a JOSE header at all.
  t.deepEqual(ids(`${header}.${payload}`), [])
  t.deepEqual(ids(`${header}.eyJ${Buffer.from('not json at all').toString('base64url')}.${sig}`), [])
  t.deepEqual(ids(`${Buffer.from('{"name":x"}').toString('base64url')}.${payload}.${sig}`), [])
})

test('Vault root token (hvs. + 24 base62) is high; a word after hvs. is not a token', (t) => {
  t.deepEqual(ids(`VAULT_TOKEN=hvs.${highEntropy(24).replace(/^(.)(.)(.)/, 'a7Q')}`), ['secret.vault-token:high'])
  t.deepEqual(ids('see docs at hvs.somethinglongerwordsxyz'), [])
  t.deepEqual(ids('hvs.abcdefghijklmnopqrstuvwx'), [])
})
