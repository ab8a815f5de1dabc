import {Args, Flags} from '@oclif/core'
import {BaseCommand} from './_base.js'
import {Registries} from '../src/registry/client.js'
import {openSource} from '../src/image/open.js'
import {pullToLayout} from '../src/image/pull.js'
import {parsePlatform} from '../src/image/manifest.js'
import {parseTransport} from '../src/reference/transport.js'
import {escapeControl} from '../src/report/escape.js'
import {formatBytes, progressBar} from '../src/report/progress.js'

export default class Pull extends BaseCommand {
  static summary = 'Copy an image into an OCI image layout directory, verifying every digest.'
  static examples = ['<%= config.bin %> pull registry.example.com/team/app:1.2 --output ./app-layout', 'skopeo inspect oci:./app-layout:1.2']
  static args = {ref: Args.string({required: true, description: 'image to pull (any source inspect accepts)'})}
  static flags = {
    ...BaseCommand.registryFlags,
    ...BaseCommand.platformFlag,
    output: Flags.string({char: 'o', required: true, description: 'OCI layout directory to write (created if missing).'}),
    'all-platforms': Flags.boolean({description: 'Copy every platform of an index, and the index itself.'}),
    tag: Flags.string({description: 'Tag to record in index.json (default: the reference tag).'}),
    format: Flags.string({options: ['text', 'json'], default: 'text'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Pull)
    const registries = new Registries(await this.registryOptions(flags))
    const t = parseTransport(args.ref)
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
      if (flags.format === 'json') await this.emit(JSON.stringify(result, null, 2))
      else await this.emit(`pulled ${escapeControl(result.reference)} ${result.digest} to ${flags.output}${tag ? `:${tag}` : ''}: ${result.blobs} blobs, ${formatBytes(result.bytes)} in ${result.seconds.toFixed(1)} s${result.blobsSkipped ? ` (${result.blobsSkipped} already present)` : ''}`)
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      bar.end()
      registries.close()
    }
  }
}
