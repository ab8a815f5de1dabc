/**
 * Builds the interop images once per test run and keeps the registries serving them until SIGTERM.
 *   node --import=tsx test/support/fixtures.ts up STATEFILE
 * test/run.sh starts this in the background; by hand use test/support/fixtures-up.sh.
 */
import {mkdtempSync, renameSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Buildah, skopeoCopy} from './builder.js'
import {buildBase, buildRootUserVariants, describe, endpoint, pushBaseSet, pushCatalog, writeArchives, BASE_USER} from './fixture-images.js'
import {buildSecretsImage} from './fixture-secrets.js'
import {startRegistry, type RunningRegistry} from './registry.js'
import type {FixtureState, ImageState, RegistryState} from './state.js'
import {makeTempDir, removeDir} from './tmp.js'

const CATALOG_REPOS = 12
const CATALOG_PAGE = 5
const PUBLIC_REPO = 'public/base'

function toState(r: RunningRegistry, publicRepos: string[] = []): RegistryState {
  const s: RegistryState = {mode: r.mode, host: r.host, url: r.url}
  if (r.caFile) s.caFile = r.caFile
  if (r.certsDir) s.certsDir = r.certsDir
  if (r.certDir) s.certDir = r.certDir
  if (r.username) s.username = r.username
  if (r.password) s.password = r.password
  if (r.tokenServer) {
    s.token = {realm: r.tokenServer.realm, service: r.tokenServer.service, issuer: r.tokenServer.issuer, url: r.tokenServer.url, publicRepos}
  }
  return s
}

async function copyBaseTo(plain: RegistryState, target: RegistryState, repo: string, dir: string, description: string): Promise<ImageState> {
  const digest = await skopeoCopy(`docker://${plain.host}/imgvet/base:oci`, `docker://${target.host}/${repo}:oci`, {src: endpoint(plain), dest: endpoint(target)}, dir)
  return describe(target, repo, 'oci', digest, description, BASE_USER.name)
}

export async function up(stateFile: string): Promise<{stop: () => Promise<void>}> {
  const started = Date.now()
  let ownedRoot: string | undefined
  if (!process.env['IMGVET_TEST_TMP']) {
    ownedRoot = mkdtempSync('/tmp/imgvet-test-')
    process.env['IMGVET_TEST_TMP'] = ownedRoot
  }
  const work = makeTempDir('imgvet-fixtures')
  const registries: RunningRegistry[] = []
  const stop = async () => {
    await Promise.allSettled(registries.map((r) => r.stop()))
    removeDir(work)
    if (ownedRoot) removeDir(ownedRoot)
  }
  try {
    const b = new Buildah(join(work, 'buildah'))
    const [plainR, tlsR, htR, tokenR] = await Promise.all([
      startRegistry({mode: 'plain'}),
      startRegistry({mode: 'tls'}),
      startRegistry({mode: 'htpasswd'}),
      startRegistry({mode: 'token', publicRepos: [PUBLIC_REPO]}),
      buildBase(b),
    ])
    registries.push(plainR, tlsR, htR, tokenR)
    const plain = toState(plainR)
    const tls = toState(tlsR)
    const htpasswd = toState(htR)
    const token = toState(tokenR, [PUBLIC_REPO])

    const baseSet = await pushBaseSet(b, plain, work)
    const [baseTls, baseHtpasswd, baseToken, publicToken] = await Promise.all([
      copyBaseTo(plain, tls, 'imgvet/base', work, 'the base behind TLS (private CA)'),
      copyBaseTo(plain, htpasswd, 'imgvet/base', work, 'the base behind htpasswd Basic auth'),
      copyBaseTo(plain, token, 'imgvet/base', work, 'the base behind token auth, credentials required'),
      copyBaseTo(plain, token, PUBLIC_REPO, work, 'the base behind token auth, anonymous pull allowed'),
    ])
    const rootUser = await buildRootUserVariants(b, plain)
    const secrets = await buildSecretsImage(b, plain, work)
    const [catalogRepos, archives] = await Promise.all([pushCatalog(plain, CATALOG_REPOS, work), writeArchives(plain, work)])
    // The buildah store is only needed while building; it is the bulk of the disk use.
    removeDir(join(work, 'buildah'))

    const {zstdLayout, ...baseImages} = baseSet
    const allRepos = [...new Set(['imgvet/base', 'imgvet/multi', 'imgvet/zstd', 'imgvet/user', 'imgvet/secrets', ...catalogRepos])].sort()
    const state: FixtureState = {
      version: 1,
      tmpDir: work,
      buildSeconds: Math.round((Date.now() - started) / 100) / 10,
      registries: {plain, tls, htpasswd, token},
      images: {...baseImages, baseTls, baseHtpasswd, baseToken, publicToken},
      baseUser: BASE_USER,
      secrets,
      rootUser,
      catalog: {registry: 'plain', repositories: allRepos, pageSize: CATALOG_PAGE, paginatedRepositories: catalogRepos},
      archives: {...archives, zstdLayout},
    }
    // Written atomically: test/run.sh starts the tests as soon as the file exists.
    writeFileSync(`${stateFile}.tmp`, JSON.stringify(state, null, 2) + '\n')
    renameSync(`${stateFile}.tmp`, stateFile)
    return {stop}
  } catch (e) {
    await stop()
    throw e
  }
}

async function main(): Promise<void> {
  const [cmd, stateFile] = process.argv.slice(2)
  if (cmd !== 'up' || !stateFile) {
    process.stderr.write('usage: node --import=tsx test/support/fixtures.ts up STATEFILE\n')
    process.exit(2)
  }
  let fixtures: {stop: () => Promise<void>}
  try {
    fixtures = await up(stateFile)
  } catch (e) {
    process.stderr.write(`fixtures: build failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`)
    process.exit(1)
  }
  process.stdout.write(`fixtures: ready, state in ${stateFile}\n`)
  let stopping = false
  const shutdown = (signal: string) => {
    if (stopping) return
    stopping = true
    process.stdout.write(`fixtures: ${signal}, stopping\n`)
    void fixtures.stop().finally(() => process.exit(0))
  }
  process.on('uncaughtException', (e) => {
    process.stderr.write(`fixtures: ${e.stack ?? e.message}\n`)
    shutdown('uncaught exception')
  })
  // test/run.sh passes its pid: if it is killed with SIGKILL its trap cannot stop us, so we notice and stop.
  const parent = Number(process.env['IMGVET_FIXTURES_PARENT'] ?? 0)
  if (parent > 0) {
    setInterval(() => {
      try {
        process.kill(parent, 0)
      } catch {
        shutdown(`parent ${parent} gone`)
      }
    }, 2000).unref()
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGHUP', () => shutdown('SIGHUP'))
  // Keep the event loop alive; the registries are child processes, not handles we hold.
  setInterval(() => undefined, 1 << 30)
}

if (import.meta.url === `file://${process.argv[1]}`) void main()
