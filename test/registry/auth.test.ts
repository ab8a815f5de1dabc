import test from 'ava'
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, join} from 'node:path'
import {ImgvetError} from '../../src/errors.js'
import {resolveTop} from '../../src/image/image.js'
import {loadImage} from '../../src/image/resolve.js'
import {openSource} from '../../src/image/open.js'
import {lookupCredential} from '../../src/registry/credentials.js'
import {skopeoCopy} from '../support/builder.js'
import {dockerRef, loadFixtures} from '../support/env.js'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import {startTokenServer, type TokenServer} from '../support/token-server.js'
import {drain, registries, tempDir} from '../support/cli.js'

const fx = loadFixtures()
const AMD64 = {os: 'linux', architecture: 'amd64'}
const ht = fx.registries.htpasswd
const htUser = ht.username ?? ''
const htPass = ht.password ?? ''

// A real credential helper on PATH for the whole file (each ava file runs in its own process).
const helperDir = mkdtempSync(join(process.env['IMGVET_TEST_TMP'] ?? tmpdir(), 'imgvet-cred-helper-'))
test.after.always(() => rmSync(helperDir, {recursive: true, force: true}))
const helperLog = join(helperDir, 'calls.log')
writeFileSync(join(helperDir, 'docker-credential-test'), [
  '#!/bin/sh',
  '# docker credential helper protocol: action in $1, server URL on stdin, JSON on stdout',
  'read -r server',
  `printf '%s %s\\n' "$1" "$server" >> '${helperLog}'`,
  'if [ "$1" != get ]; then echo "unsupported action $1" >&2; exit 1; fi',
  `case "$server" in`,
  `  '${ht.host}') printf '{"ServerURL":"%s","Username":"${htUser}","Secret":"${htPass}"}\\n' "$server" ;;`,
  `  *) echo "credentials not found in native keychain"; exit 1 ;;`,
  'esac',
  '',
].join('\n'))
chmodSync(join(helperDir, 'docker-credential-test'), 0o755)
process.env['PATH'] = `${helperDir}${delimiter}${process.env['PATH'] ?? ''}`

function dockerConfig(t: Parameters<typeof tempDir>[0], config: unknown): string {
  const dir = tempDir(t, 'imgvet-docker-config')
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config))
  return dir
}

test('TLS with the CA given as caFile', async (t) => {
  const regs = registries(t, {caFile: fx.registries.tls.caFile})
  const top = await resolveTop(await openSource(dockerRef(fx.images.baseTls), regs))
  t.is(top.raw.digest, fx.images.baseTls.digest)
})

test('TLS with the CA in certs.d/<host:port>/ca.crt', async (t) => {
  const regs = registries(t, {certsDir: fx.registries.tls.certsDir})
  const image = await loadImage(await openSource(dockerRef(fx.images.baseTls), regs), AMD64)
  const layer = image.layers[0]
  if (!layer) return t.fail('no layer')
  t.is((await drain(await layer.open())).digest, layer.descriptor.digest)
})

test('TLS without verification when asked (insecureSkipVerify)', async (t) => {
  const regs = registries(t, {insecureSkipVerify: true, certsDir: tempDir(t)})
  const top = await resolveTop(await openSource(dockerRef(fx.images.baseTls), regs))
  t.is(top.raw.digest, fx.images.baseTls.digest)
})

test('TLS without the CA is a network error that names the certificate problem (exit 3)', async (t) => {
  const regs = registries(t, {certsDir: tempDir(t), retries: 0})
  const err = await t.throwsAsync(resolveTop(await openSource(dockerRef(fx.images.baseTls), regs)), {instanceOf: ImgvetError})
  t.is(err?.exitCode, 3)
  t.is(err?.code, 'network')
  t.regex(err?.message ?? '', /certificate|self.signed|verify/i)
})

test('TLS without the CA never succeeds (exit 3)', async (t) => {
  const regs = registries(t, {certsDir: tempDir(t), retries: 0})
  const err = await t.throwsAsync(resolveTop(await openSource(dockerRef(fx.images.baseTls), regs)), {instanceOf: ImgvetError})
  t.is(err?.exitCode, 3)
})

test('htpasswd: no credentials is unauthorized and says so', async (t) => {
  const regs = registries(t)
  const err = await t.throwsAsync(resolveTop(await openSource(dockerRef(fx.images.baseHtpasswd), regs)), {instanceOf: ImgvetError})
  t.is(err?.code, 'unauthorized')
  t.is(err?.exitCode, 3)
  t.regex(err?.message ?? '', /no credentials found/)
})

test('htpasswd: wrong password is unauthorized (credentials rejected)', async (t) => {
  const regs = registries(t, {username: htUser, password: 'wrong'})
  const err = await t.throwsAsync(resolveTop(await openSource(dockerRef(fx.images.baseHtpasswd), regs)), {instanceOf: ImgvetError})
  t.is(err?.code, 'unauthorized')
  t.regex(err?.message ?? '', /rejected/)
})

test('htpasswd: credentials from RegistryOptions', async (t) => {
  const regs = registries(t, {username: htUser, password: htPass})
  const image = await loadImage(await openSource(dockerRef(fx.images.baseHtpasswd), regs), AMD64)
  t.is(image.digest, fx.images.baseHtpasswd.digest)
  const layer = image.layers[0]
  if (!layer) return t.fail('no layer')
  t.is((await drain(await layer.open())).digest, layer.descriptor.digest)
})

test('htpasswd: credentials from a DOCKER_CONFIG dir (auths, base64 auth and plain fields)', async (t) => {
  const auth = Buffer.from(`${htUser}:${htPass}`).toString('base64')
  for (const entry of [{auth}, {username: htUser, password: htPass}]) {
    for (const key of [ht.host, `http://${ht.host}/v2/`]) {
      const dir = dockerConfig(t, {auths: {[key]: entry, 'other.example.com': {auth: Buffer.from('x:y').toString('base64')}}})
      const regs = registries(t, {dockerConfigDir: dir})
      const top = await resolveTop(await openSource(dockerRef(fx.images.baseHtpasswd), regs))
      t.is(top.raw.digest, fx.images.baseHtpasswd.digest, `${key} ${Object.keys(entry).join(',')}`)
    }
  }
})

test('DOCKER_CONFIG from the environment is honoured when no dir is given', (t) => {
  const dir = dockerConfig(t, {auths: {[ht.host]: {auth: Buffer.from(`${htUser}:${htPass}`).toString('base64')}}})
  const saved = process.env['DOCKER_CONFIG']
  process.env['DOCKER_CONFIG'] = dir
  t.teardown(() => {
    if (saved === undefined) delete process.env['DOCKER_CONFIG']
    else process.env['DOCKER_CONFIG'] = saved
  })
  t.deepEqual(lookupCredential(ht.host), {username: htUser, password: htPass})
  t.is(lookupCredential('elsewhere.example.com'), null)
})

test('htpasswd: credentials from a credHelpers entry run a real docker-credential-* program', async (t) => {
  const dir = dockerConfig(t, {credHelpers: {[ht.host]: 'test'}})
  const regs = registries(t, {dockerConfigDir: dir})
  const top = await resolveTop(await openSource(dockerRef(fx.images.baseHtpasswd), regs))
  t.is(top.raw.digest, fx.images.baseHtpasswd.digest)
  t.true(readFileSync(helperLog, 'utf8').split('\n').includes(`get ${ht.host}`), 'helper asked with "get" and the host on stdin')
})

test('credHelpers win over auths; a helper that has nothing means anonymous; a missing helper is tool-missing', async (t) => {
  const wrong = Buffer.from(`${htUser}:wrong`).toString('base64')
  const dir = dockerConfig(t, {credHelpers: {[ht.host]: 'test'}, auths: {[ht.host]: {auth: wrong}}})
  t.deepEqual(lookupCredential(ht.host, dir), {username: htUser, password: htPass})
  const none = dockerConfig(t, {credHelpers: {'unknown.example.com': 'test'}})
  t.is(lookupCredential('unknown.example.com', none), null)
  const missing = dockerConfig(t, {credsStore: 'imgvet-does-not-exist'})
  const err = t.throws(() => lookupCredential(ht.host, missing), {instanceOf: ImgvetError})
  t.is(err?.code, 'tool-missing')
  const broken = tempDir(t)
  writeFileSync(join(broken, 'config.json'), '{not json')
  t.is(t.throws(() => lookupCredential(ht.host, broken), {instanceOf: ImgvetError})?.code, 'bad-input')
})

// One token-auth registry for this file, with its own token server so the test sees every token request.
let tokenReg: RunningRegistry | undefined
let tokenServer: TokenServer | undefined
const TOKEN_USER = 'tokenuser'
const TOKEN_PASS = 'token-pass-8Jd2'
const privateRepo = 'private/base'
const publicRepo = 'public/base'

test.before(async () => {
  tokenServer = await startTokenServer({users: {[TOKEN_USER]: TOKEN_PASS}, publicRepos: [publicRepo]})
  tokenReg = await startRegistry({mode: 'token', tokenServer, username: TOKEN_USER, password: TOKEN_PASS})
  const creds = {dest: {creds: `${TOKEN_USER}:${TOKEN_PASS}`}}
  const tmp = process.env['IMGVET_TEST_TMP']
  await Promise.all([
    skopeoCopy(dockerRef(fx.images.base), `docker://${tokenReg.host}/${privateRepo}:v1`, creds, tmp),
    skopeoCopy(dockerRef(fx.images.base), `docker://${tokenReg.host}/${publicRepo}:v1`, creds, tmp),
  ])
})

test.after.always(async () => {
  await tokenReg?.stop()
  await tokenServer?.stop()
})

test.serial('token auth: credentials reach the token server with the pull scope of the repository', async (t) => {
  if (!tokenReg || !tokenServer) return t.fail('token registry not started')
  const before = tokenServer.requests.length
  const regs = registries(t, {username: TOKEN_USER, password: TOKEN_PASS})
  const image = await loadImage(await openSource(`${tokenReg.host}/${privateRepo}:v1`, regs), AMD64)
  t.is(image.digest, fx.images.base.digest)
  const layer = image.layers[0]
  if (!layer) return t.fail('no layer')
  t.is((await drain(await layer.open())).digest, layer.descriptor.digest)
  const mine = tokenServer.requests.slice(before)
  t.true(mine.length >= 1)
  for (const r of mine) {
    t.is(r.service, tokenServer.service)
    t.is(r.username, TOKEN_USER)
    t.is(r.password, TOKEN_PASS)
    t.true(r.authenticated)
  }
  t.true(mine.some((r) => r.scopes.some((s) => s.type === 'repository' && s.name === privateRepo && s.actions.join() === 'pull')))
  t.true(mine.every((r) => r.scopes.every((s) => s.actions.every((a) => a === 'pull'))), 'never asks for more than pull')
  t.true(mine.length <= 2, `tokens are cached per scope (${mine.length} token requests)`)
})

test.serial('token auth: anonymous pull of a public repository works without credentials', async (t) => {
  if (!tokenReg || !tokenServer) return t.fail('token registry not started')
  const before = tokenServer.requests.length
  const regs = registries(t)
  const top = await resolveTop(await openSource(`${tokenReg.host}/${publicRepo}:v1`, regs))
  t.is(top.raw.digest, fx.images.base.digest)
  const mine = tokenServer.requests.slice(before)
  t.true(mine.length >= 1)
  t.true(mine.every((r) => r.authorization === undefined && !r.authenticated))
})

test.serial('token auth: anonymous pull of a private repository is unauthorized', async (t) => {
  if (!tokenReg) return t.fail('token registry not started')
  const regs = registries(t)
  const err = await t.throwsAsync(resolveTop(await openSource(`${tokenReg.host}/${privateRepo}:v1`, regs)), {instanceOf: ImgvetError})
  t.is(err?.code, 'unauthorized')
})

test.serial('token auth: wrong credentials are refused by the token server (unauthorized)', async (t) => {
  if (!tokenReg || !tokenServer) return t.fail('token registry not started')
  const before = tokenServer.requests.length
  const regs = registries(t, {username: TOKEN_USER, password: 'nope'})
  const err = await t.throwsAsync(resolveTop(await openSource(`${tokenReg.host}/${privateRepo}:v1`, regs)), {instanceOf: ImgvetError})
  t.is(err?.code, 'unauthorized')
  t.regex(err?.message ?? '', /token server refused/)
  t.true(tokenServer.requests.slice(before).some((r) => r.status === 401 && r.password === 'nope'))
})

test.serial('token auth: catalog asks for the registry:catalog:* scope', async (t) => {
  if (!tokenReg || !tokenServer) return t.fail('token registry not started')
  const before = tokenServer.requests.length
  const regs = registries(t, {username: TOKEN_USER, password: TOKEN_PASS})
  const client = regs.get(tokenReg.host)
  const repos: string[] = []
  try {
    for await (const r of client.catalog(1)) repos.push(r)
  } catch (e) {
    // The test token server grants whatever a valid user asks; a refusal here would be the client's fault.
    t.fail(`catalog failed: ${(e as Error).message}`)
  }
  t.deepEqual(repos, [privateRepo, publicRepo])
  t.true(tokenServer.requests.slice(before).some((r) => r.scopes.some((s) => s.type === 'registry' && s.name === 'catalog' && s.actions.includes('*'))))
})

test.serial('token auth: a docker config identity token is exchanged with the OAuth2 refresh-token POST', async (t) => {
  if (!tokenReg || !tokenServer) return t.fail('token registry not started')
  const dir = dockerConfig(t, {auths: {[tokenReg.host]: {identitytoken: 'refresh-me'}}})
  t.deepEqual(lookupCredential(tokenReg.host, dir), {identityToken: 'refresh-me'})
  const before = tokenServer.requests.length
  const regs = registries(t, {dockerConfigDir: dir})
  const top = await resolveTop(await openSource(`${tokenReg.host}/${publicRepo}:v1`, regs))
  t.is(top.raw.digest, fx.images.base.digest)
  const posts = tokenServer.requests.slice(before).filter((r) => r.method === 'POST')
  t.true(posts.length >= 1)
  t.true(posts.every((r) => r.service === tokenServer?.service && r.authorization === undefined))
  t.true(posts.some((r) => r.scopes.some((s) => s.name === publicRepo && s.actions.includes('pull'))))
})
