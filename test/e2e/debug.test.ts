import test from 'ava'
import {dockerRef, loadFixtures} from '../support/env.js'
import {runCli} from '../support/cli.js'

/** --debug shows the registry traffic it promises, one line per request, and never a credential. */
const fx = loadFixtures()

test('--debug: method, URL, status and time of every request, the token request included; no password, token or header', async (t) => {
  const reg = fx.registries.token
  const r = await runCli(['inspect', dockerRef(fx.images.baseToken), '--format', 'json', '--debug', '--username', reg.username ?? '',
    '--password-stdin'], {input: `${reg.password ?? ''}\n`, timeoutMs: 30_000})
  t.is(r.code, 0, r.stderr)
  const lines = r.stderr.trimEnd().split('\n')
  const traffic = lines.filter((l) => /^debug: (GET|HEAD|POST) /.test(l))
  // On loopback https is tried first: a plain-HTTP registry shows as a failed TLS attempt, then the http answer.
  for (const l of traffic) t.regex(l, /^debug: (GET|HEAD|POST) https?:\/\/\S+ (\d{3} \d+ ms|failed after \d+ ms \(\w+\))$/)
  const repo = fx.images.baseToken.repository
  t.true(traffic.some((l) => l.startsWith(`debug: GET ${reg.url}/v2/ 401 `)), 'the ping and its challenge')
  const token = traffic.find((l) => l.startsWith(`debug: GET ${reg.token?.realm ?? '-'}?`))
  t.truthy(token, `a token request in ${traffic.join('\n')}`)
  t.regex(token ?? '', new RegExp(`scope=repository:${repo}:pull`), 'what was asked for is shown')
  t.regex(token ?? '', /account=… /, 'the account name is not')
  t.true(traffic.some((l) => new RegExp(`^debug: (GET|HEAD) ${reg.url}/v2/${repo}/manifests/\\S+ 200 `).test(l)), 'the manifest')
  t.true(traffic.some((l) => new RegExp(`^debug: GET ${reg.url}/v2/${repo}/blobs/sha256:[0-9a-f]{64} 200 `).test(l)), 'the config blob')
  const password = reg.password ?? ''
  t.true(password.length > 4)
  t.false(r.stderr.includes(password), 'the password')
  t.false(r.stderr.includes(Buffer.from(`${reg.username ?? ''}:${password}`).toString('base64')), 'the Basic header')
  t.notRegex(r.stderr, /authorization:/i, 'no header')
  t.notRegex(r.stderr, /(Bearer|Basic) [A-Za-z0-9+/=._-]{8,}/, 'no header value')
  t.notRegex(r.stderr, /eyJ[A-Za-z0-9_-]{10,}/, 'no JWT')
})

test('without --debug nothing of that is printed', async (t) => {
  const r = await runCli(['inspect', dockerRef(fx.images.base), '--format', 'json'], {timeoutMs: 30_000})
  t.is(r.code, 0, r.stderr)
  t.is(r.stderr, '')
})
