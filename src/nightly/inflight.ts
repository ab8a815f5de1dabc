import type {Layer} from '../image/image.js'

/**
 * The layer cache dedupes across runs, but two images walked at the same time would both miss it for a layer they
 * share and both scan it. Before a walk, an image claims the layers nobody is scanning and waits for the ones
 * another image already claimed; once those are done the cache has them. Claims are taken synchronously, so an
 * image only ever waits for images that claimed before it: no cycles, no deadlock.
 */
export class InflightLayers {
  private readonly inflight = new Map<string, Promise<void>>()

  async claim(layers: readonly Layer[]): Promise<Claim> {
    const mine = new Map<string, () => void>()
    const waits: Promise<void>[] = []
    for (const l of layers) {
      if (!l.diffId || mine.has(l.diffId)) continue
      const other = this.inflight.get(l.diffId)
      if (other) {
        waits.push(other)
        continue
      }
      let release: () => void = () => undefined
      const p = new Promise<void>((resolve) => {
        release = resolve
      })
      this.inflight.set(l.diffId, p)
      mine.set(l.diffId, release)
    }
    await Promise.all(waits)
    const done = (diffId: string) => {
      const release = mine.get(diffId)
      if (!release) return
      mine.delete(diffId)
      this.inflight.delete(diffId)
      release()
    }
    return {
      done,
      // On failure too: waiters then find no cache entry and scan the layer themselves.
      finish: () => {
        for (const id of [...mine.keys()]) done(id)
      },
    }
  }
}

export interface Claim {
  done(diffId: string): void
  finish(): void
}
