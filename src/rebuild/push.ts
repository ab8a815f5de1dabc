import {openSource} from '../image/open.js'
import type {Registries} from '../registry/client.js'
import {pushImage} from '../registry/push-image.js'
import {withDigest, type Reference} from '../reference/reference.js'
import type {BuildOutput} from './builders.js'

/** Push the builder's local output to the target reference; the result then names the pushed digest. */
export async function pushBuilt(built: BuildOutput, target: Reference, registries: Registries): Promise<BuildOutput> {
  const started = Date.now()
  const local = await openSource(built.transport, registries)
  try {
    const pushed = await pushImage(local, registries.get(target.registry), target.repository, target.tag ?? 'latest')
    return {...built, transport: {kind: 'registry', ref: withDigest(target, pushed.digest)}, digest: pushed.digest,
      seconds: built.seconds + (Date.now() - started) / 1000}
  } finally {
    await local.close?.()
  }
}
