import test from 'ava'
import {mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {checkDockerfile, DOCKERFILE_RULES} from '../../src/dockerfile/check.js'
import {CONTEXT_FINDING_IDS, contextFindings, scanContext} from '../../src/dockerfile/context.js'
import {parseDockerfile} from '../../src/dockerfile/parse.js'
import {renderAs} from '../../src/report/render.js'
import type {Report} from '../../src/report/types.js'
import {isImgvetError} from '../../src/errors.js'
import {loadPolicy} from '../../src/policy/load.js'
import type {Policy} from '../../src/policy/types.js'
import {rebuild} from '../../src/rebuild/rebuild.js'
import {Registries} from '../../src/registry/client.js'
import {githubToken} from '../support/fake-secrets.js'
import {makeTempDir} from '../support/tmp.js'

const renderDockerfileReport = (r: Report, format: string) => renderAs('dockerfile', format, r)

const DIGEST = `sha256:${'ab'.repeat(32)}`
const FROM = `FROM alpine@${DIGEST}`
const root = makeTempDir('dockerfile-context')
let n = 0
let def: Policy
let gate: Policy

test.before(async () => {
  def = await loadPolicy('default')
  gate = await loadPolicy('release-gate')
})

/** A real context directory: every key is a relative path, every value its content. */
function context(files: Record<string, string>): string {
  const dir = join(root, `ctx-${++n}`)
  mkdirSync(dir, {recursive: true})
  for (const [rel, body] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), {recursive: true})
    writeFileSync(join(dir, rel), body)
  }
  return dir
}

const TOKEN = githubToken()
const LEAKY = {'.env': `GITHUB_TOKEN=${TOKEN}\n`, 'id_rsa': '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n', 'app.js': 'console.log(1)\n', 'src/index.ts': 'export {}\n'}

async function check(ctx: string, dockerfile: string, policy?: Policy) {
  writeFileSync(join(ctx, 'Dockerfile'), dockerfile)
  return checkDockerfile(join(ctx, 'Dockerfile'), {policy: policy ?? def, context: ctx})
}

const hits = (r: {findings: {id: string; line?: number; evidence: string}[]}) =>
  r.findings.filter((f) => f.id === 'dockerfile.copy-context-secret').map((f) => [f.line, /build context file (\S+)/.exec(f.evidence)?.[1]])

test('new finding ids do not collide with the rules\' ids', (t) => {
  const all = [...DOCKERFILE_RULES.flatMap((r) => r.findingIds), ...CONTEXT_FINDING_IDS]
  t.is(new Set(all).size, all.length)
})

test('COPY . /app with .env and id_rsa in the context reports both (high, line, path, .dockerignore advice); the secret is never printed', async (t) => {
  const ctx = context(LEAKY)
  const r = await check(ctx, `${FROM}\nWORKDIR /app\nCOPY . /app\nUSER 1000\n`)
  t.deepEqual(hits(r), [[3, '.env'], [3, 'id_rsa']])
  const f = r.findings.find((x) => x.id === 'dockerfile.copy-context-secret')
  t.is(f?.severity, 'high')
  t.is(f?.category, 'credential-file')
  t.is(f?.path, join(ctx, 'Dockerfile'))
  t.regex(f?.evidence ?? '', /^COPY \. \/app: .* add "\.env" to .*\.dockerignore$/)
  t.false(r.pass)
  t.true(r.report.notes?.some((x) => x.startsWith(`build context ${ctx}:`)))
  const out = ['json', 'text', 'sarif'].map((fmt) => renderDockerfileReport(r.report, fmt as 'json')).join('')
  t.false(out.includes(TOKEN))
  // Without --context the same Dockerfile has nothing to say about the context.
  const blind = await checkDockerfile(join(ctx, 'Dockerfile'), {policy: def})
  t.deepEqual(hits(blind), [])
})

test('a .dockerignore that excludes them (directly, by glob or by directory) leaves nothing to report', async (t) => {
  const ctx = context({...LEAKY, 'deploy/keys/server.pem': 'x', '.dockerignore': '# secrets stay home\n.env\n**/id_rsa\n/deploy\n'})
  const r = await check(ctx, `${FROM}\nCOPY . /app\nUSER 1000\n`)
  t.deepEqual(hits(r), [])
  t.true(r.pass)
})

test('a ! exception that takes a key back is reported and named', async (t) => {
  const ctx = context({'certs/server.pem': 'x', 'certs/ca.pem': 'y', 'certs/README': 'z', '.dockerignore': 'certs\n!certs/server.pem\n'})
  const r = await check(ctx, `${FROM}\nCOPY . /app\nUSER 1000\n`)
  t.deepEqual(hits(r), [[2, 'certs/server.pem']])
  t.regex(r.findings[0]?.evidence ?? '', /taken back by "!certs\/server\.pem" at .*\.dockerignore:2/)
})

test('COPY --from, ADD <url>, heredocs and a COPY of an unrelated subdirectory report nothing', async (t) => {
  const ctx = context({...LEAKY, 'src/lib/util.ts': 'export {}\n'})
  const r = await check(ctx, [`${FROM} AS build`, 'RUN true', FROM, 'COPY --from=build / /app', 'COPY src/ /app/src/', 'COPY *.js /app/',
    `ADD --checksum=sha256:${'cd'.repeat(32)} https://example.com/x.tgz /opt/`, 'COPY <<EOF /etc/motd\nhi\nEOF', 'USER 1000', ''].join('\n'))
  t.deepEqual(hits(r), [])
  t.deepEqual(r.findings.map((f) => f.id), [])
})

test('sources are resolved like the builder: subdirectories, globs, variables, a leading / and .. stay in the context', async (t) => {
  const ctx = context({'config/.npmrc': '//registry.npmjs.org/:_authToken=x\n', 'config/app.yaml': 'a: 1\n', 'deploy.pem': 'x', 'deploy.txt': 'x',
    'home/.aws/credentials': '[default]\n', 'home/.profile': 'x', 'tls.pem': 'x'})
  const r = await check(ctx, [FROM, 'ARG CONF=config', 'COPY ${CONF} /etc/app/', 'COPY deploy.* /x/', 'COPY /../home/ /root/', 'COPY *.pem /tls/',
    'ARG KEY=tls.pem', 'COPY $KEY /tls/', 'USER 1000', ''].join('\n'))
  t.deepEqual(hits(r), [[3, 'config/.npmrc'], [4, 'deploy.pem'], [5, 'home/.aws/credentials'], [8, 'tls.pem']])
  // A source that names key files outright is the by-name rule's finding; the context walk does not repeat it.
  t.deepEqual(r.findings.filter((f) => f.line === 6).map((f) => f.id), ['dockerfile.copy.credential-file'])
})

test('<Dockerfile>.dockerignore next to the Dockerfile takes precedence over the context\'s .dockerignore', async (t) => {
  const ctx = context({...LEAKY, '.dockerignore': 'app.js\n'})
  mkdirSync(join(ctx, 'build'))
  writeFileSync(join(ctx, 'build/Dockerfile'), `${FROM}\nCOPY . /app\nUSER 1000\n`)
  writeFileSync(join(ctx, 'build/Dockerfile.dockerignore'), '.env\nid_rsa\n')
  const r = await checkDockerfile(join(ctx, 'build/Dockerfile'), {policy: def, context: ctx})
  t.deepEqual(hits(r), [])
  t.true(r.report.notes?.some((x) => x.includes('build/Dockerfile.dockerignore')))
  // Only one file applies: the context's .dockerignore alone would have let both through.
  const plain = await check(ctx, `${FROM}\nCOPY . /app\nUSER 1000\n`)
  t.deepEqual(hits(plain), [[2, '.env'], [2, 'id_rsa']])
})

test('a build stage that is not the final image is medium: default passes, release-gate fails', async (t) => {
  const ctx = context(LEAKY)
  const text = `${FROM} AS build\nCOPY . /src\nRUN true\n${FROM}\nCOPY --from=build /src/app.js /app/\nUSER 1000\n`
  const r = await check(ctx, text)
  t.deepEqual(hits(r), [[2, '.env'], [2, 'id_rsa']])
  t.is(r.findings[0]?.severity, 'medium')
  t.regex(r.findings[0]?.note ?? '', /not the final image/)
  t.true(r.pass)
  t.false((await check(ctx, text, gate)).pass)
})

test('symlinks: one leaving the context is not followed; a named one inside it is', async (t) => {
  const outside = context({'id_rsa': 'x'})
  const ctx = context({'real/.git-credentials': 'https://u:p@example.com\n'})
  symlinkSync(outside, join(ctx, 'escape'))
  symlinkSync(join(ctx, 'real'), join(ctx, 'inside'))
  const r = await check(ctx, `${FROM}\nCOPY escape /a/\nCOPY inside /b/\nUSER 1000\n`)
  t.deepEqual(hits(r), [[3, 'real/.git-credentials']])
})

test('the walk is bounded: past the limit a not-checked finding says so instead of passing silently', async (t) => {
  const files: Record<string, string> = {}
  for (let i = 0; i < 20; i++) files[`bulk/f${i}`] = 'x'
  const ctx = context(files)
  const df = parseDockerfile(`${FROM}\nCOPY package.json /app/\nCOPY . /app\nUSER 1000\n`, join(ctx, 'Dockerfile'))
  const scan = await scanContext(df, {context: ctx, maxEntries: 10})
  t.is(scan.entries, 10)
  const {findings} = contextFindings(df, scan, {})
  t.deepEqual(findings.map((f) => [f.id, f.severity, f.line]), [['dockerfile.copy-context.not-checked', 'high', 3]])
  t.is(contextFindings(df, scan, {notChecked: 'low'}).findings[0]?.severity, 'low')
  // An excluded tree no `!` line can reach is not entered at all, so it does not count against the bound.
  writeFileSync(join(ctx, '.dockerignore'), 'bulk\n!src/keep.txt\n')
  const pruned = await scanContext(df, {context: ctx, maxEntries: 10})
  t.is(pruned.truncatedAt, undefined)
  t.deepEqual(contextFindings(df, pruned, {}).findings, [])
})

test('bad input: a context that is not a directory, an ignore file docker would refuse', async (t) => {
  const ctx = context({'.dockerignore': 'ok\n[\n'})
  const e = await t.throwsAsync(check(ctx, `${FROM}\nCOPY . /app\n`))
  t.true(isImgvetError(e) && e.exitCode === 2)
  t.true(isImgvetError(e) && e.where === join(ctx, '.dockerignore:2'))
  writeFileSync(join(root, 'plain-file'), 'x')
  const e2 = await t.throwsAsync(checkDockerfile(join(ctx, 'Dockerfile'), {policy: def, context: join(root, 'plain-file')}))
  t.true(isImgvetError(e2) && e2.exitCode === 2)
})

test('rebuild --context checks the same context and refuses to build a Dockerfile that would copy .env', async (t) => {
  const ctx = context({'.env': `GITHUB_TOKEN=${TOKEN}\n`, 'hello.txt': 'hi\n'})
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY . /\nUSER 65532\n')
  const registries = new Registries({timeoutMs: 5_000})
  try {
    const r = await rebuild({context: ctx, tag: 'localhost:5999/ctx/app:1', push: false, policy: def, force: false, registries,
      platform: {os: 'linux', architecture: 'amd64'}, insecure: false})
    t.false(r.pass)
    t.is(r.build, undefined)
    t.regex(r.refused ?? '', /fails policy "default"/)
    t.deepEqual(r.report.reasons?.map((x) => x.id), ['dockerfile.copy-context-secret'])
  } finally {
    registries.close()
  }
})
