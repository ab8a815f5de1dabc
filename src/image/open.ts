import {ImgvetError} from '../errors.js'
import type {Registries} from '../registry/client.js'
import {RegistrySource} from '../registry/source.js'
import {parseTransport, type Transport} from '../reference/transport.js'
import {DockerArchiveSource} from './sources/docker-archive.js'
import {DirTree, TarTree} from './sources/files.js'
import {OciLayoutSource} from './sources/oci-layout.js'
import type {ImageSource} from './types.js'
import {existsSync, statSync} from 'node:fs'

/** Turn what the user typed into a source. Nothing is fetched yet. */
export async function openSource(input: string | Transport, registries: Registries): Promise<ImageSource> {
  const t = typeof input === 'string' ? parseTransport(input) : input
  switch (t.kind) {
    case 'registry':
      return new RegistrySource(registries.get(t.ref.registry), t.ref)
    case 'oci': {
      if (!existsSync(t.path) || !statSync(t.path).isDirectory()) throw new ImgvetError('bad-input', 'OCI layout directory not found', t.path)
      return new OciLayoutSource(new DirTree(t.path), t.tag)
    }
    case 'oci-archive':
      return new OciLayoutSource(await TarTree.load(t.path), t.tag)
    case 'docker-archive':
      return new DockerArchiveSource(await TarTree.load(t.path), t.tag)
  }
}
