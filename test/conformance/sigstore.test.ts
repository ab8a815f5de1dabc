import test from 'ava'
import {execFile} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {promisify} from 'node:util'
import {verifyBundleFiles} from '../../src/signatures/index.js'

// Cases are read from the shared corpus in place (never copied into the repo). The suite chdirs into its assets
// folder and passes relative paths; we resolve them against the corpus folder instead, which is equivalent.
const CORPUS = resolve(process.env.SIGSTORE_CONFORMANCE_DIR ?? join(process.cwd(), '..', 'shared', 'corpora', 'sigstore-conformance'))
const fallback = '/work/shared/corpora/sigstore-conformance'
const dir = existsSync(join(CORPUS, 'cases.json')) ? CORPUS : fallback

interface Case {
  name: string
  expect: 'pass' | 'fail'
  bundle: string
  artifact: string
  artifactDigest: string
  identity?: string
  issuer?: string
  key?: string
  trustedRoot?: string
  args: string[]
  argsDigest: string[]
}

const available = existsSync(join(dir, 'cases.json'))
const cases: Case[] = available ? (JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as Case[]) : []
const at = (p: string | undefined): string | undefined => (p === undefined ? undefined : join(dir, p))

async function verdict(c: Case, artifact: string): Promise<{verdict: 'pass' | 'fail'; why: string}> {
  try {
    const r = await verifyBundleFiles({
      bundle: join(dir, c.bundle),
      artifact,
      key: at(c.key),
      identity: c.key ? undefined : {subject: c.identity, issuer: c.issuer},
      trustedRoot: at(c.trustedRoot),
    })
    return r.ok ? {verdict: 'pass', why: ''} : {verdict: 'fail', why: `${r.code}: ${r.message}`}
  } catch (e) {
    // Unusable input is exit 2: still a rejection, as the protocol only asks for non-zero.
    return {verdict: 'fail', why: `error: ${(e as Error).message}`}
  }
}

test('every sigstore-conformance bundle-verify case, as a file and as a digest', async (t) => {
  if (!available) return t.fail(`conformance corpus not found at ${dir}`)
  t.is(cases.length, 70)
  let good = 0
  const bad: string[] = []
  for (const c of cases) {
    for (const [form, artifact] of [['file', join(dir, c.artifact)], ['digest', c.artifactDigest]] as const) {
      const v = await verdict(c, artifact)
      if (v.verdict === c.expect) good++
      else bad.push(`${c.name} (${form}): expected ${c.expect}, got ${v.verdict} ${v.why}`)
    }
  }
  t.log(`sigstore-conformance: ${good}/${cases.length * 2} runs as expected (${cases.length} cases x file and digest forms)`)
  t.deepEqual(bad, [])
})

// A few through the compiled CLI, exactly as the harness calls it, when a build is present.
const bin = resolve('bin/run.js')
const built = existsSync(resolve('dist/commands/sigstore/verify-bundle.js'))
const cliCases = ['happy-path-v0.3', 'managed-key-happy-path', 'rekor2-dsse-happy-path', 'trust-root-tlog-missing-validity-start_fail', 'signature-mismatch_fail', 'bundle-malformed-json_fail']
for (const name of cliCases) {
  const run = built && available ? test : test.skip
  run(`CLI verify-bundle: ${name}`, async (t) => {
    const c = cases.find((x) => x.name === name)
    if (!c) return t.fail(`no case ${name}`)
    for (const args of [c.args, c.argsDigest]) {
      const r = await promisify(execFile)(process.execPath, [bin, 'sigstore', ...args], {cwd: dir}).then(
        () => 0,
        (e: {code?: number}) => e.code ?? -1,
      )
      // 0 verified, 1 not verified, 2 unusable input (a malformed trusted root is the user's input).
      const want = c.expect === 'pass' ? 0 : c.trustedRoot && name.startsWith('trust-root-') ? 2 : 1
      t.is(r, want, args.join(' '))
    }
  })
}
