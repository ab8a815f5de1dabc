import {createHash} from 'node:crypto'
import picomatch from 'picomatch'
import {ImgvetError} from '../errors.js'

interface Shard {
  index: number
  count: number
}

/** `i/N`, 0-based like Kubernetes' JOB_COMPLETION_INDEX, so an Indexed Job passes its index straight through. */
export function parseShard(s: string): Shard {
  const m = /^(\d{1,4})\/(\d{1,4})$/.exec(s.trim())
  const index = Number(m?.[1])
  const count = Number(m?.[2])
  if (!m || !(count >= 1) || !(index >= 0) || index >= count) {
    throw new ImgvetError('usage', `invalid --shard "${s}": expected i/N with 0 <= i < N (e.g. 0/4)`)
  }
  return {index, count}
}

export function formatShard(s: Shard | null): string | null {
  return s ? `${s.index}/${s.count}` : null
}

/** A repository's shard depends on its name only, so every job agrees without talking to the others. */
function shardOf(repository: string, count: number): number {
  const h = createHash('sha256').update(repository).digest()
  return h.readUInt32BE(0) % count
}

/** Which repositories (and tags) a run covers; also decides which baseline images a diff may call removed. */
export class Selection {
  private readonly repoMatch: ((s: string) => boolean) | null
  private readonly tagMatch: ((s: string) => boolean) | null
  constructor(readonly repositories: string[], readonly tags: string[], readonly shard: Shard | null) {
    this.repoMatch = repositories.length ? picomatch(repositories, {dot: true}) : null
    this.tagMatch = tags.length ? picomatch(tags, {dot: true}) : null
  }

  hasRepository(repository: string): boolean {
    if (this.repoMatch && !this.repoMatch(repository)) return false
    return !this.shard || shardOf(repository, this.shard.count) === this.shard.index
  }

  hasTag(tag: string): boolean {
    return !this.tagMatch || this.tagMatch(tag)
  }
}
