import type {Layer} from '../image/image.js'

/**
 * The layer cache dedupes across runs, but two images walked at the same time would both miss it for a layer they
 * share and both scan it. Before a walk, an image claims the layers nobody is scanning and waits for the ones
 * another image already claimed; once those are done the cache has them. Claims are taken synchronously, so an
 * image only ever waits for images that claimed before it: no cycles, no deadlock.
 */
/** The unit the layer cache stores: a blob and its diffID, checked together (a diffID alone is only a claim). */
function unit(l: Layer): string | null {
  return l.diffId ? `${l.descriptor.digest} ${l.diffId}` : null
}

export class InflightLayers {
  private readonly inflight = new Map<string, Promise<void>>()

  async claim(layers: readonly Layer[]): Promise<Claim> {
    const mine = new Map<string, () => void>()
    const waits: Promise<void>[] = []
    for (const l of layers) {
      const key = unit(l)
      if (!key || mine.has(key)) continue
      const other = this.inflight.get(key)
      if (other) {
        waits.push(other)
        continue
      }
      let release: () => void = () => undefined
      const p = new Promise<void>((resolve) => {
        release = resolve
      })
      this.inflight.set(key, p)
      mine.set(key, release)
    }
    await Promise.all(waits)
    const release = (key: string) => {
      const r = mine.get(key)
      if (!r) return
      mine.delete(key)
      this.inflight.delete(key)
      r()
    }
    return {
      done: (layer: Layer) => {
        const key = unit(layer)
        if (key) release(key)
      },
      // On failure too: waiters then find no cache entry and scan the layer themselves.
      finish: () => {
        for (const key of [...mine.keys()]) release(key)
      },
    }
  }
}

interface Claim {
  done(layer: Layer): void
  finish(): void
}
