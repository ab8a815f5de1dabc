import {ImgvetError} from '../errors.js'
import type {RegistryClient} from '../registry/client.js'
import {registryError} from '../registry/upload.js'

export interface PushCheck {
  /** The status of the POST that opened an upload session (202: this credential may push). */
  opened: number
  /** The status of the DELETE that cancelled it (204 on the CNCF registry), or null if it could not be sent. */
  cancelled: number | null
}

/**
 * --check-push: a write with no lasting effect, so a read-only credential is found at plan time instead of after the
 * vet and the first blob. It opens an upload session and deletes it at once; no blob, manifest or tag is made. A
 * refusal is `unauthorized` (exit 3), as the copy itself would have failed.
 */
export async function checkPush(client: RegistryClient, repository: string): Promise<PushCheck> {
  const where = `${client.registry}/${repository}`
  const scope = `repository:${repository}:pull,push`
  const res = await client.call(`/v2/${repository}/blobs/uploads/`,
    {method: 'POST', scope, headers: {'content-length': '0'}, body: Buffer.alloc(0)})
  if (res.status !== 202) {
    const err = await registryError(res)
    const code = res.status === 401 || res.status === 403 ? 'unauthorized' : 'registry'
    throw new ImgvetError(code, `--check-push: the destination refused to open an upload (HTTP ${res.status}${
      err.code ? ` ${err.message}` : ''}); this credential cannot push`, where)
  }
  res.body?.resume()
  const loc = res.headers.get('location')
  if (!loc) throw new ImgvetError('registry', '--check-push: upload opened without a Location', where)
  try {
    const del = await client.call(loc, {method: 'DELETE', scope})
    del.body?.resume()
    return {opened: res.status, cancelled: del.status}
  } catch (e) {
    // The registry expires an abandoned session itself; the probe already said what it was for.
    if (e instanceof ImgvetError) return {opened: res.status, cancelled: null}
    throw e
  }
}
