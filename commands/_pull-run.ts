import {Registries} from '../src/registry/client.js'
import type {RegistryOptions} from '../src/registry/options.js'
import {openSource} from '../src/image/open.js'
import {pullToLayout} from '../src/image/pull.js'
import {parsePlatform} from '../src/image/manifest.js'
import {parseTransport} from '../src/reference/transport.js'
import {escapeControl} from '../src/report/escape.js'
import {formatBytes, progressBar} from '../src/report/progress.js'

export interface PullFlags {
  output: string
  platform?: string
  'all-platforms'?: boolean
  tag?: string
  format?: string
}

/**
 * The whole of `pull` once flags are parsed. Loads no oclif, so the start-up fast path (bin/run.js) and the oclif
 * command run the very same code.
 */
export async function runPull(ref: string, flags: PullFlags, opts: RegistryOptions, emit: (text: string) => Promise<void>): Promise<void> {
  const registries = new Registries(opts)
  const t = parseTransport(ref)
  const tag = flags.tag ?? (t.kind === 'registry' ? t.ref.tag : t.tag)
  const bar = progressBar('pulling')
  const abort = new AbortController()
  // Nothing of a pull is worth keeping half done: drop the partial blobs and stop now, with the shell's codes.
  const onSignal = (sig: NodeJS.Signals) => {
    bar.end()
    abort.abort()
    const kept = `${escapeControl(flags.output)} keeps only complete blobs`
    process.stderr.write(`imgvet: interrupted by ${sig}; partial downloads removed, ${kept}\n`)
    process.exit(sig === 'SIGINT' ? 130 : 143)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    const source = await openSource(t, registries)
    const result = await pullToLayout(source, flags.output, {
      platform: parsePlatform(flags.platform ?? 'linux/amd64'),
      platformNamed: flags.platform !== undefined,
      allPlatforms: flags['all-platforms'],
      tag,
      onProgress: (d, n) => bar.update(d, n),
      signal: abort.signal,
    })
    bar.end()
    if (flags.format === 'json') await emit(JSON.stringify(result, null, 2))
    else {
      const skipped = result.blobsSkipped ? ` (${result.blobsSkipped} already present)` : ''
      await emit(`pulled ${escapeControl(result.reference)} ${result.digest} to ${flags.output}${tag ? `:${tag}` : ''}: `
        + `${result.blobs} blobs, ${formatBytes(result.bytes)} in ${result.seconds.toFixed(1)} s${skipped}`)
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    bar.end()
    registries.close()
  }
}
