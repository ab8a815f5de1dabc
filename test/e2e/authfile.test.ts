import test from 'ava'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {dockerRef, loadFixtures} from '../support/env.js'
import {runCli, tempDir} from '../support/cli.js'
import {run} from '../support/exec.js'

/**
 * Where credentials come from, in skopeo's order, against the real htpasswd registry of the fixtures; every case
 * is also given to the real skopeo, which must agree on whether the pull is allowed.
 */
const fx = loadFixtures()
const ht = fx.registries.htpasswd
const REF = dockerRef(fx.images.baseHtpasswd)
const good = Buffer.from(`${ht.username ?? ''}:${ht.password ?? ''}`).toString('base64')
const bad = Buffer.from(`${ht.username ?? ''}:not-the-password`).toString('base64')

interface Home {
  env: NodeJS.ProcessEnv
  runtime: string
  xdgConfig: string
  docker: string
  write(file: string, auth: string | null, host?: string): string
}

/** A home of its own: XDG_RUNTIME_DIR, XDG_CONFIG_HOME and DOCKER_CONFIG all inside it, nothing else read. */
function home(t: {teardown: (fn: () => void) => void}): Home {
  const dir = tempDir(t, 'imgvet-authfile')
  const env = {HOME: dir, XDG_RUNTIME_DIR: join(dir, 'run'), XDG_CONFIG_HOME: join(dir, 'cfg'), DOCKER_CONFIG: join(dir, 'docker'),
    REGISTRY_AUTH_FILE: ''}
  mkdirSync(env.XDG_RUNTIME_DIR)
  return {
    env,
    runtime: join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'),
    xdgConfig: join(env.XDG_CONFIG_HOME, 'containers', 'auth.json'),
    docker: join(env.DOCKER_CONFIG, 'config.json'),
    write(file, auth, host = ht.host) {
      mkdirSync(join(file, '..'), {recursive: true})
      writeFileSync(file, JSON.stringify({auths: auth === null ? {} : {[host]: {auth}}}))
      return file
    },
  }
}

const imgvet = (args: string[], env: NodeJS.ProcessEnv) => runCli(['inspect', REF, '--format', 'json', ...args], {env})
const skopeo = (args: string[], env: NodeJS.ProcessEnv) =>
  run('skopeo', ['inspect', '--raw', '--tls-verify=false', ...args, REF], {env: {...process.env, ...env}, allowFail: true})

/** imgvet and skopeo on the same files: both pull, or both refuse; imgvet's refusal names the file it used. */
async function agree(t: {is: (a: unknown, b: unknown, m?: string) => void}, h: Home, args: string[], env: NodeJS.ProcessEnv,
  expect: {ok: true} | {ok: false; stderr: string}, label: string): Promise<void> {
  const [ours, theirs] = await Promise.all([imgvet(args, {...h.env, ...env}), skopeo(args, {...h.env, ...env})])
  t.is(theirs.code === 0, expect.ok, `${label}: skopeo ${theirs.stderr}`)
  if (expect.ok) {
    t.is(ours.code, 0, `${label}: ${ours.stderr}`)
    t.is((JSON.parse(ours.stdout) as {digest: string}).digest, fx.images.baseHtpasswd.digest, label)
  } else {
    t.is(ours.code, 3, label)
    t.is(ours.stderr, expect.stderr, label)
  }
}

const rejected = (from: string) => `imgvet: unauthorized: authentication required (credentials from ${from} rejected): `
  + `UNAUTHORIZED authentication required (${ht.host} manifest ${fx.images.baseHtpasswd.ref})\n`
const anonymous = `imgvet: unauthorized: authentication required (no credentials found for this registry): `
  + `UNAUTHORIZED authentication required (${ht.host} manifest ${fx.images.baseHtpasswd.ref})\n`

test('$XDG_RUNTIME_DIR/containers/auth.json, then ~/.config/containers/auth.json, then docker config: the first that has the host wins', async (t) => {
  const a = home(t)
  a.write(a.runtime, good)
  a.write(a.docker, bad)
  await agree(t, a, [], {}, {ok: true}, 'runtime file first')

  const b = home(t)
  b.write(b.runtime, bad)
  b.write(b.xdgConfig, good)
  b.write(b.docker, good)
  await agree(t, b, [], {}, {ok: false, stderr: rejected(b.runtime)}, 'the first file with the host is the only one used')

  const c = home(t)
  c.write(c.runtime, good, 'other.example.com')
  c.write(c.xdgConfig, good)
  c.write(c.docker, bad)
  await agree(t, c, [], {}, {ok: true}, 'a file without the host is passed over')

  const d = home(t)
  d.write(d.docker, bad)
  await agree(t, d, [], {}, {ok: false, stderr: rejected(`docker config ${d.docker}`)}, 'docker config last')
})

test('--authfile, else REGISTRY_AUTH_FILE, is the only file read', async (t) => {
  const h = home(t)
  h.write(h.runtime, good)
  const wrongFile = h.write(join(h.env.HOME ?? '', 'wrong.json'), bad)
  const goodFile = h.write(join(h.env.HOME ?? '', 'good.json'), good)
  const otherHost = h.write(join(h.env.HOME ?? '', 'other.json'), good, 'other.example.com')
  await agree(t, h, ['--authfile', wrongFile], {}, {ok: false, stderr: rejected(`--authfile ${wrongFile}`)}, '--authfile over the runtime file')
  await agree(t, h, [], {REGISTRY_AUTH_FILE: wrongFile}, {ok: false, stderr: rejected(`REGISTRY_AUTH_FILE ${wrongFile}`)}, 'REGISTRY_AUTH_FILE')
  await agree(t, h, ['--authfile', goodFile], {REGISTRY_AUTH_FILE: wrongFile}, {ok: true}, '--authfile beats REGISTRY_AUTH_FILE')
  await agree(t, h, ['--authfile', otherHost], {}, {ok: false, stderr: anonymous}, 'no fallback to the default files')
})

test('--username names itself when rejected; a missing --authfile is exit 2 before any request', async (t) => {
  const h = home(t)
  h.write(h.docker, good)
  const login = ['inspect', REF, '--username', ht.username ?? '', '--password-stdin']
  const r = await runCli(login, {env: h.env})
  t.is(r.code, 2, 'no password on stdin')
  const wrong = await runCli(login, {env: h.env, input: 'not-the-password\n'})
  t.is(wrong.code, 3)
  t.is(wrong.stderr, rejected('--username'))
  const missing = join(h.env.HOME ?? '', 'nope.json')
  const m = await imgvet(['--authfile', missing], h.env)
  t.is(m.code, 2)
  t.is(m.stderr, `imgvet: bad-input: --authfile: no such auth file (${missing})\n`)
  t.false(m.stderr.includes(ht.password ?? '\0'), 'the password is never printed')
})

test('behind a token server the refusal names the file as well', async (t) => {
  const h = home(t)
  const tok = fx.registries.token
  const file = h.write(join(h.env.HOME ?? '', 'token-auth.json'), Buffer.from(`${tok.username ?? ''}:wrong`).toString('base64'), tok.host)
  const r = await runCli(['inspect', dockerRef(fx.images.baseToken), '--authfile', file], {env: h.env})
  t.is(r.code, 3)
  t.regex(r.stderr, new RegExp(`^imgvet: unauthorized: token server refused the credentials from --authfile ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(401\\)`))
})
