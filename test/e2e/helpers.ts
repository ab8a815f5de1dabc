import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {Finding} from '../../src/findings/finding.js'
import {dockerRef, loadFixtures} from '../support/env.js'
import {ROOT, runCli, tempDir, type CliResult} from '../support/cli.js'
import type {TestImage} from '../support/hostile-image.js'

export {ROOT, tempDir, type CliResult}
/** The e2e tests' name for the one freshness check of dist/ (test/support/build.ts). */
export {ensureBuilt as assertBuilt} from '../support/build.js'
export type {Finding}

export const fx = loadFixtures()
/** `docker://host/imgvet/secrets:latest` */
export const SECRETS = dockerRef(fx.secrets.image)

interface Teardown {
  teardown: (fn: () => void | Promise<void>) => void
}

/**
 * Run the built CLI with a layer cache in a per-test temp dir, so no run reads or writes ~/.cache; `--no-cache`
 * in args is left alone.
 */
export function imgvet(t: Teardown, args: readonly string[], opts: {input?: string} = {}): Promise<CliResult> {
  const cache = args.includes('--no-cache') ? [] : ['--cache-dir', tempDir(t, 'imgvet-e2e-cache')]
  return runCli([...args, ...cache], {...opts, timeoutMs: 30_000})
}

export interface ScanJson {
  tool: {name: string; version: string}
  image: {reference: string; digest: string; platform: string}
  findings: Finding[]
  suppressed: Finding[]
  summary: {bySeverity: Record<string, number>}
  stats: {layers: number; files: number; bytes: number; seconds: number; layersFromCache?: number}
}

export interface VetJson extends Omit<ScanJson, 'suppressed'> {
  policy: {name: string; scope: string | null}
  verdict: 'pass' | 'fail'
  reasons: Array<{id: string; message: string}>
  suppressed: Finding[]
  notes: string[]
}

/** JSON from stdout, with the CLI's stderr in the failure message if stdout is not JSON. */
export function parseJson<T>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T
  } catch (e) {
    throw new Error(`stdout is not JSON (${(e as Error).message}); exit ${r.code}; stderr: ${r.stderr}`)
  }
}

/**
 * Every secret value the secrets fixture planted, config leaks included, plus the parts a renderer could leak
 * on their own: each line of a PEM body and the password inside the docker `auth` (base64 of user:password).
 */
export function plantedValues(): Array<{label: string; value: string}> {
  const out: Array<{label: string; value: string}> = []
  for (const p of fx.secrets.planted) {
    for (const v of p.values) {
      out.push({label: `${p.kind} at ${p.path}`, value: v})
      if (v.includes('-----BEGIN')) {
        for (const line of v.split('\n')) if (/^[A-Za-z0-9+/=]{40,}$/.test(line)) out.push({label: `${p.kind} PEM line`, value: line})
      }
      if (p.kind === 'docker-config-auth') {
        const password = Buffer.from(v, 'base64').toString('utf8').split(':')[1] ?? ''
        if (password.length >= 8) out.push({label: 'docker auth password', value: password})
      }
    }
  }
  out.push({label: `ENV ${fx.secrets.env.name}`, value: fx.secrets.env.value})
  out.push({label: `history build-arg ${fx.secrets.historyLeak.arg}`, value: fx.secrets.historyLeak.value})
  return out
}

/** The one-line error contract: `imgvet: <code>: ...`, nothing else on stderr, nothing on stdout. */
export function oneLineError(r: CliResult): string {
  const lines = r.stderr.trimEnd().split('\n')
  if (lines.length !== 1) throw new Error(`expected one stderr line, got ${lines.length}: ${r.stderr}`)
  return lines[0] ?? ''
}

/** Write a hand-made image as an OCI image layout (what `oci:DIR:TAG` reads and skopeo can push). */
export function writeLayout(dir: string, image: TestImage, tag: string): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), {recursive: true})
  const put = (digest: string, data: Buffer) => writeFileSync(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), data)
  for (const [digest, data] of image.blobs) put(digest, data)
  put(image.manifestDigest, image.manifest)
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({imageLayoutVersion: '1.0.0'}))
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{mediaType: image.manifestMediaType, digest: image.manifestDigest, size: image.manifest.length, annotations: {'org.opencontainers.image.ref.name': tag}}],
  }))
}

/** A free TCP port on loopback that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const {createServer} = await import('node:net')
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      s.close(() => resolve(port))
    })
  })
}
