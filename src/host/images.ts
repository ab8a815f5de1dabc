import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {LayerCache} from '../cache/layer-cache.js'
import {isImgvetError} from '../errors.js'
import {openSource} from '../image/open.js'
import {vetSource} from '../pipeline/vet.js'
import type {Policy} from '../policy/types.js'
import {Registries} from '../registry/client.js'
import {nameOf, type ContainerInspect, type HostFinding} from './containers.js'
import type {EngineClient} from './engine.js'

export interface ImageVerdict {
  /** The engine's image id (sha256:…), which every container using it names. */
  id: string
  /** What the containers call it (`Config.Image`), for the reader. */
  names: string[]
  containers: string[]
  verdict: 'pass' | 'fail' | 'not-vetted'
  detail?: string
}

/**
 * Each image the host's containers use, exported from the engine itself (`docker save` over the API) and vetted
 * as `vet docker-archive:…` would: what runs here is the engine's copy, not whatever a registry holds under the
 * tag today. Its findings are attributed to the containers that use it.
 */
export async function vetContainerImages(api: EngineClient, containers: readonly ContainerInspect[],
  o: {policy: Policy; cache?: LayerCache | null}): Promise<{findings: HostFinding[]; images: ImageVerdict[]}> {
  const byImage = new Map<string, ContainerInspect[]>()
  for (const c of containers) {
    const id = c.Image ?? ''
    if (!/^(sha256:)?[0-9a-f]{12,64}$/.test(id)) continue
    byImage.set(id, [...(byImage.get(id) ?? []), c])
  }
  const findings: HostFinding[] = []
  const images: ImageVerdict[] = []
  const dir = mkdtempSync(join(tmpdir(), 'imgvet-host-'))
  // Archives are local files: the registry client is never asked for anything.
  const registries = new Registries({})
  try {
    for (const [id, users] of byImage) {
      const names = [...new Set(users.map((c) => c.Config?.Image ?? '').filter((n) => n !== ''))]
      const who = users.map(nameOf)
      const file = join(dir, `${images.length}.tar`)
      try {
        await api.saveImage(id, file)
        const source = await openSource({kind: 'docker-archive', path: file}, registries)
        const ref = {registry: 'engine', repository: names[0] ?? id.replace(/^sha256:/, '').slice(0, 12), tag: 'latest'}
        const r = await vetSource(source, ref, {policy: o.policy, cache: o.cache})
        images.push({id, names, containers: who, verdict: r.verdict.pass ? 'pass' : 'fail'})
        // The user a container runs as is its own (inspect's Config.User, image USER included): judged as
        // host.container.user-root, so the image's config.user.* would say it twice.
        for (const f of r.report.findings.filter((x) => !x.id.startsWith('config.user.'))) {
          for (const c of who) findings.push({...f, source: 'engine', container: c, evidence: `image ${names[0] ?? id}: ${f.evidence}`})
        }
      } catch (e) {
        if (!isImgvetError(e)) throw e
        images.push({id, names, containers: who, verdict: 'not-vetted', detail: e.oneLine()})
      } finally {
        rmSync(file, {force: true})
      }
    }
  } finally {
    registries.close()
    rmSync(dir, {recursive: true, force: true})
  }
  return {findings, images}
}
