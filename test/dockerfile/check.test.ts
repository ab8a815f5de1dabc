import test from 'ava'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {checkDockerfile, checkDockerfileText, DOCKERFILE_RULES} from '../../src/dockerfile/check.js'
import {expandVars, parseDockerfile} from '../../src/dockerfile/parse.js'
import {renderAs} from '../../src/report/render.js'
import type {Report} from '../../src/report/types.js'
import {isImgvetError} from '../../src/errors.js'
import {loadPolicy, parsePolicy} from '../../src/policy/load.js'
import type {Policy} from '../../src/policy/types.js'
import {awsKeyPair, githubToken, highEntropy} from '../support/fake-secrets.js'
import {makeTempDir} from '../support/tmp.js'

const renderDockerfileReport = (r: Report, format: string) => renderAs('dockerfile', format, r)

const DIGEST = `sha256:${'ab'.repeat(32)}`
const dir = makeTempDir('dockerfile-check')
let n = 0
let def: Policy
let gate: Policy

test.before(async () => {
  def = await loadPolicy('default')
  gate = await loadPolicy('release-gate')
})

/** Each fixture Dockerfile is a real file in a temp dir, read back through the same path the CLI uses. */
async function check(text: string, policy?: Policy, as?: string) {
  const file = join(dir, `Dockerfile.${++n}`)
  writeFileSync(file, text)
  return checkDockerfile(file, {policy: policy ?? def, as})
}

const ids = (r: {findings: {id: string}[]}) => r.findings.map((f) => f.id)
const GOOD = `FROM docker.io/library/alpine@${DIGEST}\nRUN adduser -D app\nUSER app\n`

test('a clean, pinned, non-root Dockerfile passes with no findings', async (t) => {
  const r = await check(GOOD)
  t.deepEqual(ids(r), [])
  t.true(r.pass)
})

test('finding ids are unique across rules', (t) => {
  const all = DOCKERFILE_RULES.flatMap((r) => r.findingIds)
  t.is(new Set(all).size, all.length)
})

test('FROM: tag-only is unpinned (medium: passes default, fails release-gate); digest, scratch and stage names are fine', async (t) => {
  const r = await check('FROM alpine:3.19\nUSER 1000\n')
  const f = r.findings.find((x) => x.id === 'dockerfile.from.unpinned')
  t.is(f?.severity, 'medium')
  t.is(f?.line, 1)
  t.true(r.pass)
  const g = await check('FROM alpine:3.19\nUSER 1000\n', gate)
  t.false(g.pass)
  t.true(g.failing.some((x) => x.id === 'dockerfile.from.unpinned'))
  const ok = await check(`FROM alpine@${DIGEST} AS build\nRUN true\nFROM build AS second\nFROM scratch\nCOPY --from=second /x /x\nUSER 65532\n`)
  t.false(ids(ok).some((i) => i.startsWith('dockerfile.from')), ids(ok).join())
})

test('FROM: global ARG defaults are substituted; an ARG without default cannot be vetted', async (t) => {
  const r = await check(`ARG BASE=alpine@${DIGEST}\nFROM \${BASE}\nUSER 1000\n`)
  t.deepEqual(ids(r), [])
  const u = await check('ARG BASE\nFROM ${BASE}\nUSER 1000\n')
  t.deepEqual(ids(u), ['dockerfile.from.unresolved'])
  t.is(expandVars('${A:-x}/${B}-$C', new Map([['B', 'b'], ['C', null]])), 'x/b-$C')
})

test('FROM: a base no scope trusts, and one outside the scope\'s baseImages.allow, are high', async (t) => {
  const policy = parsePolicy([
    'version: 1', 'scopes:', '  - match: registry.example.com/**', '    baseImages:', "      allow: ['registry.example.com/base/*']",
  ].join('\n'), join(dir, 'p.yaml'))
  const ok = await check(`FROM registry.example.com/base/alpine@${DIGEST}\nUSER 1000\n`, policy)
  t.deepEqual(ids(ok), [])
  const other = await check(`FROM registry.example.com/team/thing@${DIGEST}\nUSER 1000\n`, policy)
  t.deepEqual(ids(other), ['dockerfile.from.not-allowed'])
  const untrusted = await check(`FROM docker.io/library/alpine@${DIGEST}\nUSER 1000\n`, policy, 'registry.example.com/team/app')
  t.deepEqual(ids(untrusted), ['dockerfile.from.untrusted'])
  t.is(untrusted.findings[0]?.severity, 'high')
  t.false(untrusted.pass)
})

test('USER: missing, 0, root and 0:0 run as root; the last USER of the final stage (or its parent) decides', async (t) => {
  const missing = await check(`FROM alpine@${DIGEST}\nRUN true\n`)
  t.deepEqual(ids(missing), ['dockerfile.user.missing'])
  t.is(missing.findings[0]?.severity, 'high')
  t.false(missing.pass)
  const scratch = await check('FROM scratch\nCOPY x /x\n')
  t.deepEqual(ids(scratch), ['dockerfile.user.root'])
  for (const u of ['0', 'root', '0:0', 'root:app', '00']) {
    const r = await check(`FROM alpine@${DIGEST}\nUSER app\nUSER ${u}\n`)
    t.deepEqual(ids(r), ['dockerfile.user.root'], u)
    t.is(r.findings[0]?.line, 3)
  }
  t.deepEqual(ids(await check(`FROM alpine@${DIGEST}\nUSER 0\nRUN apk add x\nUSER 10001:10001\n`)), [])
  // The builder stage ran as root; the final stage inherits USER from its parent stage.
  t.deepEqual(ids(await check(`FROM alpine@${DIGEST} AS base\nUSER app\nFROM base\nRUN true\n`)), [])
  t.deepEqual(ids(await check(`FROM alpine@${DIGEST} AS build\nUSER app\nFROM alpine@${DIGEST}\nCOPY --from=build /a /a\n`)), ['dockerfile.user.missing'])
  t.deepEqual(ids(await check(`FROM alpine@${DIGEST}\nARG UID=0\nUSER \${UID}\n`)), ['dockerfile.user.root'])
  // docker-official does not require non-root: reported low, passes.
  const official = await check(`FROM docker.io/library/alpine@${DIGEST}\n`, await loadPolicy('docker-official'))
  t.is(official.findings.find((f) => f.id === 'dockerfile.user.missing')?.severity, 'low')
})

test('secrets in ENV, ARG and LABEL values are found and redacted; public-looking values are not', async (t) => {
  const token = githubToken()
  const aws = awsKeyPair()
  const pw = highEntropy(20)
  const r = await check([`FROM alpine@${DIGEST}`, `ENV GITHUB_TOKEN=${token} APP_VERSION=1.2.3`, `ARG AWS_ACCESS_KEY_ID=${aws.accessKeyId}`,
    `LABEL db.password="${pw}"`, 'USER 1000', ''].join('\n'))
  const found = r.findings.filter((f) => f.id.startsWith('dockerfile.secret.'))
  t.deepEqual(found.map((f) => [f.id, f.line]).sort(), [['dockerfile.secret.arg', 3], ['dockerfile.secret.env', 2], ['dockerfile.secret.label', 4]].sort())
  // The name alone also says a credential is passed as a build argument.
  t.true(r.findings.some((f) => f.id === 'dockerfile.arg.secret' && f.line === 3))
  const out = renderDockerfileReport(r.report, 'json') + renderDockerfileReport(r.report, 'text') + renderDockerfileReport(r.report, 'sarif')
  for (const s of [token, aws.accessKeyId, pw]) t.false(out.includes(s), 'a secret was printed whole')
  const clean = await check(`FROM alpine@${DIGEST}\nENV GPG_KEY=B42F6819007F00F88E364FD4036A9C25BF357DD4 PASSWORD_FILE=/run/secrets/pw NODE_VERSION=20.1\nLABEL maintainer="Jane <jane@example.com>"\nUSER 1000\n`)
  t.deepEqual(ids(clean), [])
})

test('secret-named build arguments are flagged with the --mount=type=secret advice; ordinary ones are not', async (t) => {
  const r = await check(`ARG NPM_TOKEN\nFROM alpine@${DIGEST}\nARG DB_PASSWORD\nARG API_KEY\nARG GITHUB_PAT\nARG NODE_VERSION=20\nARG GPG_KEY\nARG TOKEN_URL\nUSER 1000\n`)
  const args = r.findings.filter((f) => f.id === 'dockerfile.arg.secret')
  t.deepEqual(args.map((f) => f.evidence.split(':')[0]).sort(), ['ARG API_KEY', 'ARG DB_PASSWORD', 'ARG GITHUB_PAT', 'ARG NPM_TOKEN'])
  t.regex(args[0]?.evidence ?? '', /RUN --mount=type=secret/)
  t.true(r.pass, 'medium: passes the default policy')
  t.false((await check(`FROM alpine@${DIGEST}\nARG TOKEN\nUSER 1000\n`, gate)).pass, 'release-gate fails secrets from low')
})

test('COPY/ADD of key and credential files by name is high; ordinary files and .pub keys are not', async (t) => {
  const bad = ['id_rsa', 'keys/id_ed25519', 'tls/server.pem', 'server.key', 'cert.p12', 'store.pfx', '.npmrc', '.pypirc', '.netrc',
    '.git-credentials', '.env', '.env.production', 'credentials', '.aws/credentials', '.docker/config.json', 'kubeconfig', '.kube/config']
  const r = await check([`FROM alpine@${DIGEST}`, ...bad.map((b) => `COPY ${b} /dst/`), 'ADD ["secrets/id_rsa", "/root/.ssh/"]', 'USER 1000', ''].join('\n'))
  const hits = r.findings.filter((f) => f.id === 'dockerfile.copy.credential-file')
  t.is(hits.length, bad.length + 1)
  t.is(hits[0]?.severity, 'high')
  t.deepEqual(hits.map((f) => f.line), Array.from({length: bad.length + 1}, (_, i) => i + 2))
  const ok = await check(`FROM alpine@${DIGEST}\nCOPY id_rsa.pub .env.example app.js package.json src/ /app/\nCOPY --from=build /out/keyring.txt /x\nUSER 1000\n`)
  t.deepEqual(ids(ok), [])
})

test('ADD of a URL needs --checksum; a local ADD does not', async (t) => {
  const r = await check(`FROM alpine@${DIGEST}\nADD https://example.com/tool.tgz /opt/\nADD --checksum=sha256:${'cd'.repeat(32)} https://example.com/tool.tgz /opt/\nADD local.tgz /opt/\nUSER 1000\n`)
  t.deepEqual(r.findings.map((f) => [f.id, f.line]), [['dockerfile.add.url-unchecked', 2]])
})

test('EXPOSE: only ports the scope allows (release-gate: unprivileged tcp); no ports.allow means not enforced', async (t) => {
  const text = `FROM alpine@${DIGEST}\nEXPOSE 8080 443/tcp 9000/udp\nUSER 1000\n`
  const g = await check(text, gate)
  t.deepEqual(g.findings.filter((f) => f.id === 'dockerfile.expose.not-allowed').map((f) => f.evidence.split(';')[0]), ['EXPOSE 443/tcp', 'EXPOSE 9000/udp'])
  t.deepEqual(ids(await check(text)), [])
})

test('curl|sh and friends are flagged; downloading to a file and verifying is not', async (t) => {
  for (const run of ['curl -fsSL https://x.example/install.sh | sh', 'wget -qO- https://x.example/i | sudo bash -s --', 'sh -c "$(curl -fsSL https://x.example/i)"',
    'bash <(curl -s https://x.example/i)', 'curl https://x.example/get-pip.py | python3', 'apk add curl && \\\n  curl -sSL https://x.example/i \\\n  | sh']) {
    const r = await check(`FROM alpine@${DIGEST}\nRUN ${run}\nUSER 1000\n`)
    t.deepEqual(ids(r), ['dockerfile.run.pipe-to-shell'], run)
  }
  const ok = await check(`FROM alpine@${DIGEST}\nRUN curl -fsSLo /tmp/i.sh https://x.example/i.sh && echo "${'ef'.repeat(32)}  /tmp/i.sh" | sha256sum -c - && sh /tmp/i.sh\nUSER 1000\n`)
  t.deepEqual(ids(ok), [])
})

test('bad input is a coded error (exit 2): missing file, no FROM, instruction before FROM', async (t) => {
  for (const [text, re] of [['RUN true\n', /before the first FROM/], ['# nothing\n', /no FROM/]] as const) {
    const e = t.throws(() => parseDockerfile(text, 'x'))
    t.true(isImgvetError(e) && e.exitCode === 2)
    t.regex(e?.message ?? '', re)
  }
  const e = await t.throwsAsync(checkDockerfile(join(dir, 'nope'), {policy: def}))
  t.true(isImgvetError(e) && e.exitCode === 2)
})

test('reports: json carries the findings with lines; sarif points at the Dockerfile', async (t) => {
  const r = checkDockerfileText(`FROM alpine:3\nRUN curl -s https://x.example/i | sh\n`, 'build/Dockerfile', {policy: def})
  const json = JSON.parse(renderDockerfileReport(r.report, 'json')) as {verdict: string; findings: {id: string; line: number; path: string}[]}
  t.is(json.verdict, 'fail')
  t.deepEqual(json.findings.map((f) => [f.id, f.line, f.path]), [['dockerfile.user.missing', 1, 'build/Dockerfile'], ['dockerfile.from.unpinned', 1, 'build/Dockerfile'], ['dockerfile.run.pipe-to-shell', 2, 'build/Dockerfile']])
  const sarif = JSON.parse(renderDockerfileReport(r.report, 'sarif')) as {runs: {results: {ruleId: string; locations: {physicalLocation: {artifactLocation: {uri: string}; region?: {startLine: number}}}[]}[]}[]}
  const results = sarif.runs[0]?.results ?? []
  t.is(results.length, 3)
  for (const res of results) t.is(res.locations[0]?.physicalLocation.artifactLocation.uri, 'build/Dockerfile')
  t.is(results.find((x) => x.ruleId === 'dockerfile.run.pipe-to-shell')?.locations[0]?.physicalLocation.region?.startLine, 2)
})
