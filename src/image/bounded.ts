import type {Readable} from 'node:stream'
import {ImgvetError} from '../errors.js'

/**
 * Read a stream up to `limit` bytes; more is an error, so a hostile 64 MiB manifest or config is never held in
 * memory. Lives with the image model (not the HTTP client) because every source, local ones too, reads through it.
 */
export async function readBounded(body: Readable | null, limit: number, where: string): Promise<Buffer> {
  if (!body) return Buffer.alloc(0)
  const chunks: Buffer[] = []
  let total = 0
  try {
    for await (const chunk of body) {
      total += (chunk as Buffer).length
      if (total > limit) {
        body.destroy()
        throw new ImgvetError('too-large', `response larger than ${limit} bytes`, where)
      }
      chunks.push(chunk as Buffer)
    }
  } catch (e) {
    if (e instanceof ImgvetError) throw e
    throw new ImgvetError('network', `reading response failed: ${(e as Error).message}`, where, {cause: e})
  }
  return Buffer.concat(chunks)
}
