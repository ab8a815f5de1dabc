import {adopt, type ReferrersMode} from '../src/adopt/adopt.js'
import {renderAdoptJson, renderAdoptText} from '../src/adopt/render.js'
import {LayerCache} from '../src/cache/layer-cache.js'
import {connectionOptions, type ConnectionFlags} from '../src/cli/connection.js'
import {loadPolicy} from '../src/policy/load.js'
import {Registries} from '../src/registry/client.js'
import {parseFast, reportFailure} from './_fast-args.js'

/**
 * The flags this path treats exactly as commands/adopt.ts does. Any other flag given (signers, --output, --jobs and
 * the other integers whose bounds oclif checks, a flag added later) sends the run to oclif, so a flag can never be
 * half-handled here.
 */
const HANDLED = new Set(['ca-file', 'cert-dir', 'plain-http', 'tls-verify', 'timeout', 'no-cache', 'cache-dir', 'policy',
  'dry-run', 'format', 'expect-digest', 'force', 'verify-blobs', 'trusted-root', 'signature-repository',
  'on-legacy-conflict', 'src-referrers', 'dst-referrers', 'wait-rate-limit'])

const MiB = 1024 * 1024

/**
 * `imgvet adopt` without oclif, for the plain invocations (HANDLED): loading oclif is ~0.12 s of CPU and ~15 MiB of
 * a run whose copy skopeo does in ~0.45 s. Returns false, having done nothing, when oclif must run it.
 */
export async function fastAdopt(argv: readonly string[], manifestFile: string | URL): Promise<boolean> {
  const parsed = parseFast(argv, manifestFile, 'adopt', 2)
  if (!parsed || [...parsed.given].some((f) => !HANDLED.has(f))) return false
  const {positionals: [source, destination], values: v} = parsed
  try {
    const warn = (flag: string, what: string) => process.stderr.write(`imgvet: warning: ${flag}: ${what}\n`)
    const registries = new Registries({...connectionOptions(v as ConnectionFlags, warn), offline: false})
    try {
      const cache = v['no-cache'] === true ? null : new LayerCache(v['cache-dir'] as string | undefined)
      const policy = await loadPolicy(String(v.policy))
      const tty = process.stderr.isTTY && v.format === 'text'
      const result = await adopt({
        source: source as string, destination: destination as string, policy, registries,
        // No signer was named (those flags are oclif's): the policy's requirements stand, as BaseCommand leaves them.
        overrides: {trustedRoot: v['trusted-root'] as string | undefined, allowMissingTlog: false,
          signatureRepository: (v['signature-repository'] as string | undefined) ?? process.env.COSIGN_REPOSITORY},
        dryRun: v['dry-run'] === true, force: v.force === true, jobs: Number(v.jobs),
        expectDigest: v['expect-digest'] as string | undefined, verifyBlobs: v['verify-blobs'] as 'full' | 'head', cache,
        maxLayerBytes: Number(v['max-layer-size']) * MiB, maxTextBytes: Number(v['max-text-size']) * MiB,
        onLegacyConflict: v['on-legacy-conflict'] as 'fail' | 'merge',
        srcReferrers: v['src-referrers'] as ReferrersMode, dstReferrers: v['dst-referrers'] as ReferrersMode,
        minRateRemaining: Number(v['min-rate-remaining']),
        onRateWait: v['wait-rate-limit'] === true ? (line) => process.stderr.write(`imgvet: ${line}\n`) : undefined,
        onPhase: tty ? (p) => process.stderr.write(`\r\x1b[Kadopt: ${p}...`) : undefined,
      })
      if (tty) process.stderr.write('\r\x1b[K')
      const text = v.format === 'json' ? renderAdoptJson(result) : renderAdoptText(result)
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
      process.exitCode = result.exitCode
    } finally {
      registries.close()
    }
  } catch (e) {
    reportFailure(e)
  }
  return true
}
