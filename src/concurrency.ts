/**
 * Runs `fn` over items, at most `limit` at a time. After the first failure (or an abort) no new item starts, and the
 * promise settles only once the items in flight have settled: a caller that cleans up after a failure never races a
 * worker still writing a temp file or a cache entry.
 */
export async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0
  let failed = false
  const worker = async () => {
    while (!failed && !signal?.aborted && next < items.length) {
      const item = items[next++] as T
      try {
        await fn(item)
      } catch (e) {
        failed = true
        throw e
      }
    }
  }
  const settled = await Promise.allSettled(Array.from({length: Math.max(1, Math.min(limit, items.length))}, worker))
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (rejected) throw rejected.reason
}
