import test from 'ava'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'
import {escapeControl} from '../../src/report/escape.js'
import {rsaPrivateKeyPem} from '../support/fake-secrets.js'
import {blob, imageFromLayers, makeTar, OCI_LAYER_GZIP, sha256, type TestImage} from '../support/hostile-image.js'
import {startHostileRegistry} from '../support/hostile-registry.js'
import {runCli, tempDir, type CliResult} from '../support/cli.js'

const ESC = '\x1b'
// A name that clears the screen, then starts a line of its own claiming the image passed.
const HOSTILE_NAME = `x${ESC}[2J\nFAIL? no: PASS`
const FORGED = 'PASS  everything is fine'
// What a terminal would act on: C0 controls but newline, DEL, C1 controls, bidi overrides and isolates.
 
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

test('escapeControl shows controls as \\xNN, newline/CR/tab as \\n \\r \\t, bidi as \\u{...}; printable text untouched', (t) => {
  t.is(escapeControl(`a${ESC}[2Jb\nc\rd\te\x00\x7f\x9b`), 'a\\x1b[2Jb\\nc\\rd\\te\\x00\\x7f\\x9b')
  t.is(escapeControl('evil\u202Etxt.exe\u2066x\u2069'), 'evil\\u{202e}txt.exe\\u{2066}x\\u{2069}')
  t.is(escapeControl('/usr/lib/ünïcødé 文件 ok\\x'), '/usr/lib/ünïcødé 文件 ok\\x')
  // Idempotent: a renderer escaping what another already escaped changes nothing.
  const once = escapeControl(HOSTILE_NAME)
  t.is(escapeControl(once), once)
})

/** Write a hand-made image as an OCI layout under `dir`, tagged `tag`. */
function writeLayout(dir: string, image: TestImage, tag: string): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), {recursive: true})
  const put = (digest: string, data: Buffer) => writeFileSync(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), data)
  for (const [digest, data] of image.blobs) put(digest, data)
  put(image.manifestDigest, image.manifest)
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({imageLayoutVersion: '1.0.0'}))
  const annotations = {'org.opencontainers.image.ref.name': tag}
  writeFileSync(join(dir, 'index.json'), JSON.stringify({schemaVersion: 2, manifests: [
    {mediaType: image.manifestMediaType, digest: image.manifestDigest, size: image.manifest.length, annotations},
  ]}))
}

/** No raw control character, and no line that the image wrote itself. */
function assertInert(t: {false: (v: boolean, m?: string) => void}, r: CliResult): void {
  for (const [name, out] of [['stdout', r.stdout], ['stderr', r.stderr]] as const) {
    t.false(RAW_CONTROL.test(out), `${name} holds a raw control character: ${JSON.stringify(out)}`)
    const lines = out.split('\n')
    const forged = lines.some((l) => l.startsWith('FAIL? no: PASS') || l.startsWith(FORGED))
    t.false(forged, `${name} holds a forged line: ${JSON.stringify(out)}`)
  }
}

test('a hostile layer and config: vet, scan and inspect text show escapes literally and keep the FAIL verdict', async (t) => {
  const key = await rsaPrivateKeyPem('pkcs8')
  const tar = await makeTar({[HOSTILE_NAME]: key, 'etc/': '', 'etc/hostname': 'hostile\n'})
  const image = imageFromLayers([{blob: blob(OCI_LAYER_GZIP, gzipSync(tar)), diffId: sha256(tar)}], {config: {
    config: {
      User: '1000',
      Env: [`PATH=/usr/bin`, `EVIL${ESC}[2J\n${FORGED}=1`],
      Labels: {'org.opencontainers.image.title': `t${ESC}]0;owned\x07\u202Eexe.txt`, [`k${ESC}[1A`]: `v\n${FORGED}`},
    },
    history: [{created_by: `RUN echo ${ESC}[2J${ESC}[H`}],
  }})
  const dir = tempDir(t, 'imgvet-escape')
  writeLayout(join(dir, 'layout'), image, 'v1')
  const ref = `oci:${join(dir, 'layout')}:v1`
  const cache = ['--cache-dir', join(dir, 'cache')]

  const vet = await runCli(['vet', ref, ...cache])
  t.is(vet.code, 1, vet.stderr)
  assertInert(t, vet)
  t.regex(vet.stdout.split('\n')[0] ?? '', /^FAIL /)
  t.true(vet.stdout.includes('/x\\x1b[2J\\nFAIL? no: PASS'), vet.stdout)

  const scan = await runCli(['scan', ref, ...cache])
  t.is(scan.code, 0, scan.stderr)
  assertInert(t, scan)
  t.true(scan.stdout.includes('/x\\x1b[2J\\nFAIL? no: PASS'), scan.stdout)

  const inspect = await runCli(['inspect', ref])
  t.is(inspect.code, 0, inspect.stderr)
  assertInert(t, inspect)
  t.true(inspect.stdout.includes(`EVIL\\x1b[2J\\n${FORGED}`), inspect.stdout)
  t.true(inspect.stdout.includes('t\\x1b]0;owned\\x07\\u{202e}exe.txt'), inspect.stdout)
  t.true(inspect.stdout.includes(`k\\x1b[1A=v\\n${FORGED}`), inspect.stdout)

  // JSON keeps the real name: it is already escaped by JSON, and tools downstream need the exact bytes.
  const json = await runCli(['vet', ref, ...cache, '--format', 'json'])
  t.is(json.code, 1, json.stderr)
  t.false(json.stdout.includes(ESC))
  const findings = (JSON.parse(json.stdout) as {findings: Array<{path?: string}>}).findings
  t.true(findings.some((f) => f.path === `/${HOSTILE_NAME}`), JSON.stringify(findings.map((f) => f.path)))
})

test('a registry error body with escapes and a newline stays one inert line on stderr', async (t) => {
  const message = `${ESC}[2J${ESC}[H\nimgvet: ok: ${FORGED}`
  const body = JSON.stringify({errors: [{code: 'DENIED', message}]})
  const h = await startHostileRegistry({rules: [{target: 'manifest', misbehave: {kind: 'status', status: 403, body}}]})
  t.teardown(() => h.stop())
  const r = await runCli(['inspect', `${h.host}/hostile/valid:latest`])
  t.is(r.code, 3, r.stderr)
  assertInert(t, r)
  const lines = r.stderr.trimEnd().split('\n')
  t.is(lines.length, 1, r.stderr)
  t.regex(lines[0] ?? '', /^imgvet: unauthorized: access denied: DENIED \\x1b\[2J\\x1b\[H\\nimgvet: ok: PASS {2}everything is fine/)
})

test('a hostile tag in the reference is escaped in the one-line usage error', async (t) => {
  const r = await runCli(['inspect', `127.0.0.1:1/repo:bad${ESC}[2J\ntag`])
  t.is(r.code, 2, r.stderr)
  assertInert(t, r)
  t.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr)
  t.regex(r.stderr, /\\x1b\[2J\\ntag/)
})
