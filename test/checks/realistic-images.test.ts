import test from 'ava'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import type {Finding} from '../../src/findings/finding.js'
import {ensureBuilt} from '../support/build.js'
import {busybox, debianMinbase, debianWith, type DistroImage} from '../support/distro-images.js'
import {runCli} from '../support/cli.js'

/**
 * Real distribution images, built from real packages, must give no medium-or-worse finding that is not real key
 * material: a release gate that flags botocore's API examples or ansible's PowerShell helpers gets turned off.
 * Debian with python3-boto3, ansible-core and npm gave 113 medium findings in 19 files before the generic rule knew
 * file kinds, code and documentation structure.
 */
const PACKAGES = ['python3-boto3', 'ansible-core', 'npm']
const KEY_MATERIAL = /^(private-key\.|keystore\.)/

interface ScanJson {
  findings: Finding[]
  stats: {files: number}
}

async function scan(image: DistroImage): Promise<ScanJson> {
  await ensureBuilt()
  const r = await runCli(['scan', image.ref, '--format', 'json', '--no-cache'], {timeoutMs: 300_000})
  if (r.code !== 0 && r.code !== 1) throw new Error(`scan exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout) as ScanJson
}

function loud(s: ScanJson): string[] {
  return s.findings
    .filter((f) => f.severity !== 'info' && f.severity !== 'low' && !KEY_MATERIAL.test(f.id))
    .map((f) => `${f.severity} ${f.id} ${f.path}:${f.line ?? ''} ${f.evidence ?? ''}`)
}

const tools = ['debootstrap', 'umoci', 'chroot'].filter((c) => !['/usr/sbin', '/usr/bin', '/sbin', '/bin'].some((d) => existsSync(join(d, c))))

test('Debian with python3-boto3, ansible-core and npm: no medium+ finding but key material', async (t) => {
  t.timeout(900_000)
  t.deepEqual(tools, [], 'debootstrap, umoci and chroot are installed (.ci/run installs them)')
  const image = await debianWith(PACKAGES)
  if (image.buildSeconds) t.log(`built in ${image.buildSeconds}s`)
  const started = Date.now()
  const s = await scan(image)
  t.log(`scanned ${s.stats.files} files in ${((Date.now() - started) / 1000).toFixed(1)}s; ${s.findings.length} findings, ` +
    `${s.findings.filter((f) => f.severity === 'info').length} at info`)
  t.true(s.stats.files > 20_000, 'the packages are really there')
  // botocore's example data is still seen, and says why it is not a secret.
  t.true(s.findings.some((f) => /examples-1\.json$/.test(f.path ?? '') && /API example data/.test(f.note ?? '')))
  t.deepEqual(loud(s), [])
})

test('debootstrap minbase: no medium+ finding', async (t) => {
  t.timeout(600_000)
  t.deepEqual(tools, [])
  const image = await debianMinbase()
  if (image.buildSeconds) t.log(`built in ${image.buildSeconds}s`)
  const s = await scan(image)
  t.true(s.stats.files > 3000)
  t.deepEqual(loud(s), [])
})

test('busybox: no medium+ finding', async (t) => {
  t.timeout(300_000)
  t.deepEqual(tools, [])
  const s = await scan(await busybox())
  t.true(s.stats.files >= 4, 'busybox and /etc are scanned')
  t.deepEqual(loud(s), [])
})
