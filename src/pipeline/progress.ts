import type {Readable} from 'node:stream'
import type {Image, Layer} from '../image/image.js'
import {isFilesystemLayer} from '../image/manifest.js'

/**
 * Byte progress over the layers of the images a scan selected: compressed bytes as the walk reads them, a layer
 * served from the cache all at once. A one-layer image moves too, which a count of layers cannot show.
 */
export function byteProgress(images: readonly Image[], report?: (done: number, total: number) => void):
  {images: Image[]; layerDone(layer: Layer): void} {
  if (!report) return {images: [...images], layerDone() {}}
  // Every occurrence counts: a layer two platforms share is walked once and served from the cache the second time.
  const total = images.reduce((n, i) => n + i.layers.filter((l) => isFilesystemLayer(l.descriptor)).reduce((m, l) => m + l.descriptor.size, 0), 0)
  const read = new Map<Layer, number>()
  let done = 0
  const tell = () => report(Math.min(done, total), total)
  const wrapped = images.map((image) => ({
    ...image,
    layers: image.layers.map((layer) => {
      const counted: Layer = {
        ...layer,
        open: async () => counting(await layer.open(), (n) => {
          read.set(counted, (read.get(counted) ?? 0) + n)
          done += n
          tell()
        }),
      }
      return counted
    }),
  }))
  return {
    images: wrapped,
    layerDone(layer) {
      // A cached layer was never read; a scanned one may have stopped short of its size (a tar ends early).
      done += Math.max(0, layer.descriptor.size - (read.get(layer) ?? 0))
      read.set(layer, layer.descriptor.size)
      tell()
    },
  }
}

/**
 * Counts what the stream hands out by watching push(), through which every Readable emits its data. The walk keeps
 * the very stream it was given: a wrapper stream in between changed when a digest mismatch reached it and who saw it.
 */
function counting(source: Readable, onBytes: (n: number) => void): Readable {
  const push = source.push.bind(source)
  source.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (chunk !== null && chunk !== undefined) onBytes((chunk as {length: number}).length)
    return push(chunk, encoding)
  }
  return source
}
