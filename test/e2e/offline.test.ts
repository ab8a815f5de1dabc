import test from 'ava'
import {readFileSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'
import {run} from '../support/exec.js'
import {startHostileRegistry} from '../support/hostile-registry.js'
import {ROOT, tempDir} from '../support/cli.js'
import {traced, type Traced} from '../support/traced.js'

const notes = (r: Traced) => (JSON.parse(r.stdout) as {notes: string[]}).notes

test('vet --offline on an OCI layout, with no route at all: passes, no IPv4/IPv6 socket, says its trust root', async (t) => {
  const r = await traced(t, ['vet', '--offline', 'oci:examples/clean', '--no-cache', '--format', 'json', '-q'], {noRoute: true})
  t.is(r.code, 0, r.stderr)
  t.deepEqual(r.inet, [])
  t.true(notes(r).includes('offline: no network request made; trust root: the public-good root embedded in @sigstore/tuf (never fetched)'))
  t.true(notes(r).some((n) => /^offline: not checked: transparency-log \(Rekor\) lookups, TUF refresh/.test(n)))
})

test('vet --offline on a docker-archive with --trusted-root names that file', async (t) => {
  const dir = tempDir(t, 'imgvet-offline-src')
  const archive = join(dir, 'clean.tar')
  await run('skopeo', ['copy', '--quiet', 'oci:examples/clean', `docker-archive:${archive}:clean:1`], {cwd: ROOT})
  // A real trusted root: the one @sigstore/tuf ships, written out as a user's file.
  const seeds = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@sigstore/tuf/seeds.json'), 'utf8')) as
    Record<string, {targets: Record<string, string>}>
  const root = join(dir, 'trusted_root.json')
  writeFileSync(root, Buffer.from(seeds['https://tuf-repo-cdn.sigstore.dev']?.targets['trusted_root.json'] ?? '', 'base64'))
  const r = await traced(t, ['vet', '--offline', `docker-archive:${archive}`, '--trusted-root', root, '--no-cache', '--format', 'json', '-q'],
    {noRoute: true})
  t.is(r.code, 0, r.stderr)
  t.deepEqual(r.inet, [])
  t.true(notes(r).includes(`offline: no network request made; trust root: ${root} (--trusted-root)`))
})

test('vet --offline refuses a registry reference before any connection; without it the same run does connect', async (t) => {
  const h = await startHostileRegistry()
  t.teardown(() => h.stop())
  const ref = `${h.host}/hostile/valid:latest`
  const refused = await traced(t, ['vet', '--offline', ref, '--no-cache', '-q'], {noRoute: false})
  t.is(refused.code, 2, refused.stderr)
  t.regex(refused.stderr, /^imgvet: usage: --offline reads local sources only/)
  t.deepEqual(refused.inet, [])
  t.is(h.requests.length, 0)

  // The control: the harness does see a run that talks to the registry.
  const online = await traced(t, ['vet', ref, '--no-cache', '-q'], {noRoute: false})
  t.true(online.inet.some((l) => /connect\(/.test(l)), 'strace saw the connection')
  t.true(h.requests.length > 0)
})
