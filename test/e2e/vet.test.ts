import test from 'ava'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {dockerRef} from '../support/env.js'
import {assertBuilt, closedPort, fx, imgvet, oneLineError, parseJson, SECRETS, tempDir, type VetJson} from './helpers.js'

test.before(assertBuilt)

const host = fx.registries.plain.host
// release-gate requires signatures; it refuses to run unless it knows whose signature to expect.
const SIGNER = ['--certificate-identity', 'release@ci.example.com', '--certificate-oidc-issuer', 'https://issuer.example.com']

test('the rootUser fixtures cover USER 0, 0:0, root, toor, ghost, 1000 and app', (t) => {
  t.deepEqual(fx.rootUser.map((v) => v.user).sort(), ['0', '0:0', '1000', 'app', 'ghost', 'root', 'toor'])
})

for (const v of fx.rootUser) {
  // From the fixture's own account of the user (uid 0 through passwd, or unresolvable), not from imgvet.
  const expect: {verdict: 'pass' | 'fail'; exit: number; reason: string | null} =
    v.runsAsRoot === true ? {verdict: 'fail', exit: 1, reason: 'config.user.root'}
      : v.runsAsRoot === 'unknown' ? {verdict: 'fail', exit: 1, reason: 'config.user.unknown'}
        : {verdict: 'pass', exit: 0, reason: null}
  test(`vet --policy default: USER ${v.user} (uid ${v.uid ?? 'unresolvable'}) ${expect.verdict === 'pass' ? 'passes' : 'fails'}`, async (t) => {
    const r = await imgvet(t, ['vet', dockerRef(v.image), '--policy', 'default', '--format', 'json'])
    t.is(r.code, expect.exit, r.stderr)
    const j = parseJson<VetJson>(r)
    t.is(j.verdict, expect.verdict)
    t.is(j.policy.name, 'default')
    t.is(j.image.digest, v.image.digest)
    const userReasons = j.reasons.filter((x) => x.id.startsWith('config.user.'))
    if (expect.reason === null) {
      t.deepEqual(j.reasons, [], 'nothing fails a non-root image from the base')
      t.false(j.findings.some((f) => f.id === 'config.user.root' || f.id === 'config.user.unknown'))
    } else {
      t.deepEqual(userReasons.map((x) => x.id), [expect.reason])
      t.deepEqual(j.reasons.map((x) => x.id), [expect.reason], 'the user is the only reason')
      t.true(userReasons[0]?.message.includes(`"${v.user}"`), userReasons[0]?.message)
      if (v.user === 'toor') t.regex(userReasons[0]?.message ?? '', /passwd maps "toor" to uid 0/)
    }
  })
}

test('vet text: a root image prints FAIL and the reason; a non-root one PASS', async (t) => {
  const root = fx.rootUser.find((v) => v.user === 'root')
  const app = fx.rootUser.find((v) => v.user === 'app')
  if (!root || !app) return t.fail('fixtures lack root/app variants')
  const [a, b] = await Promise.all([imgvet(t, ['vet', dockerRef(root.image)]), imgvet(t, ['vet', dockerRef(app.image)])])
  t.is(a.code, 1, a.stderr)
  t.regex(a.stdout, new RegExp(`^FAIL  ${root.image.ref}$`, 'm'))
  t.regex(a.stdout, /^ {2}- \[config\.user\.root\] Container runs as root/m)
  t.is(b.code, 0, b.stderr)
  t.regex(b.stdout, new RegExp(`^PASS  ${app.image.ref}$`, 'm'))
  t.notRegex(b.stdout, /Why it fails/)
})

test('vet of the secrets image fails, with reasons naming every planted secret and the root user', async (t) => {
  const r = await imgvet(t, ['vet', SECRETS, '--format', 'json'])
  t.is(r.code, 1, r.stderr)
  const j = parseJson<VetJson>(r)
  t.is(j.verdict, 'fail')
  for (const p of fx.secrets.planted) {
    t.true(j.reasons.some((x) => x.message.includes(` at ${p.path}: `)), `a reason names ${p.path}`)
  }
  t.true(j.reasons.some((x) => x.id === 'secret.github-token' && x.message.includes(`history[${fx.secrets.historyLeak.historyIndex}]`)), 'the history leak fails the verdict')
  t.true(j.reasons.some((x) => x.id === 'config.user.root' && x.message.includes('"root"')))
  // Deleted-but-extractable secrets still fail: a whiteout does not remove bytes from the image.
  for (const p of fx.secrets.planted.filter((x) => x.removedIn !== undefined)) {
    const f = j.findings.find((x) => x.path === p.path)
    t.is(f?.removedIn?.index, p.removedIn)
  }
})

test('vet --policy release-gate of a tag-only reference fails with policy.tag-only; the digest reference does not', async (t) => {
  const base = fx.images.base
  const [tag, digest] = await Promise.all([
    imgvet(t, ['vet', dockerRef(base), '--policy', 'release-gate', '--format', 'json', ...SIGNER]),
    imgvet(t, ['vet', dockerRef(base, true), '--policy', 'release-gate', '--format', 'json', ...SIGNER]),
  ])
  t.is(tag.code, 1, tag.stderr)
  const j = parseJson<VetJson>(tag)
  t.is(j.verdict, 'fail')
  t.is(j.policy.name, 'release-gate')
  const tagOnly = j.reasons.filter((x) => x.id === 'policy.tag-only')
  t.is(tagOnly.length, 1)
  t.true(tagOnly[0]?.message.includes(base.ref), tagOnly[0]?.message)
  // Pinned by digest: still fails the gate (unsigned), but not for being a tag.
  t.is(digest.code, 1, digest.stderr)
  const d = parseJson<VetJson>(digest)
  t.false(d.reasons.some((x) => x.id === 'policy.tag-only'), d.reasons.map((x) => x.id).join(', '))
  t.true(d.reasons.some((x) => x.id === 'signature.missing'))
})

test('vet --policy release-gate without a signer identity: exit 2 (a required signature nobody can check)', async (t) => {
  const r = await imgvet(t, ['vet', dockerRef(fx.images.base, true), '--policy', 'release-gate'])
  t.is(r.code, 2, r.stderr)
  t.is(r.stdout, '')
  t.regex(oneLineError(r), /^imgvet: bad-policy: signatures are required but no keys, certificate identities or Notation trust are given/)
})

test('vet with a bad policy file: exit 2, the message names file:line', async (t) => {
  const dir = tempDir(t, 'imgvet-e2e-policy')
  const file = join(dir, 'bad.yaml')
  writeFileSync(file, 'version: 1\nname: bad\nscopes:\n  - match: "**"\n    failOn: extreme\n')
  const r = await imgvet(t, ['vet', SECRETS, '--policy', file])
  t.is(r.code, 2, r.stderr)
  t.is(r.stdout, '')
  const line = oneLineError(r)
  t.regex(line, /^imgvet: bad-policy: scopes\[0\]\.failOn: /)
  t.true(line.endsWith(`(${file}:5)`), line)

  const syntax = join(dir, 'syntax.yaml')
  writeFileSync(syntax, 'version: 1\nname: broken\nscopes:\n  - match: ["**"\n')
  const s = await imgvet(t, ['vet', SECRETS, '--policy', syntax])
  t.is(s.code, 2, s.stderr)
  t.regex(oneLineError(s), new RegExp(`^imgvet: bad-policy: .*\\(${syntax.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+\\)$`))
})

test('vet with a bad reference: exit 2', async (t) => {
  const r = await imgvet(t, ['vet', `docker://${host}/Not::A/Reference`])
  t.is(r.code, 2, r.stderr)
  t.is(r.stdout, '')
  t.regex(oneLineError(r), /^imgvet: bad-reference: /)
})

test('vet of an image the registry does not have: exit 2 (not "pass", and not a retry-worthy 3)', async (t) => {
  const r = await imgvet(t, ['vet', `docker://${host}/imgvet/no-such-image:latest`])
  t.is(r.code, 2, r.stderr)
  t.is(r.stdout, '')
  t.regex(oneLineError(r), /^imgvet: no-such-image: no such repository .*imgvet\/no-such-image:latest/)
})

test('vet against an unreachable registry: exit 3', async (t) => {
  const port = await closedPort()
  const r = await imgvet(t, ['vet', `docker://127.0.0.1:${port}/imgvet/base:oci`, '--timeout', '5'])
  t.is(r.code, 3, r.stderr)
  t.is(r.stdout, '')
  t.regex(oneLineError(r), new RegExp(`^imgvet: network: .*127\\.0\\.0\\.1:${port}`))
})

test("the README's first command: vet oci:examples/vulnerable exits 1, vet oci:examples/clean exits 0", async (t) => {
  const [bad, good] = await Promise.all([imgvet(t, ['vet', 'oci:examples/vulnerable']), imgvet(t, ['vet', 'oci:examples/clean'])])
  t.is(bad.code, 1, bad.stderr)
  t.regex(bad.stdout, /^FAIL {2}examples\/vulnerable$/m)
  // What the README promises it finds: a private key, deleted registry credentials still in the image, a root user.
  t.regex(bad.stdout, /\[private-key\.[a-z0-9-]+\]/)
  t.regex(bad.stdout, /deleted in layer \d+ but still extractable from layer \d+/)
  t.regex(bad.stdout, /\[config\.user\.root\]/)
  t.is(good.code, 0, good.stderr)
  t.regex(good.stdout, /^PASS {2}examples\/clean$/m)
})
