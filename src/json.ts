/** Narrowing helpers for parsed JSON from images, registries and files: all of it is untrusted until checked. */

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The value at `path` inside nested objects, or undefined where any step is not an object. */
export function dig(v: unknown, path: readonly string[]): unknown {
  let cur = v
  for (const k of path) {
    if (!isObject(cur)) return undefined
    cur = cur[k]
  }
  return cur
}
