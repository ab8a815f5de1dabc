import {createHash} from 'node:crypto'

/**
 * JSON with object keys sorted and undefined members dropped, so two values that mean the same thing hash the same
 * however they were built (a YAML file with its keys in another order, a spread that added `description: undefined`).
 * Keys in `omit` are dropped at every depth: where a value was read from is not what it means.
 */
export function canonicalJson(value: unknown, omit: ReadonlySet<string> = new Set()): string {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk)
    if (v === null || typeof v !== 'object') return v
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k]
      if (x !== undefined && !omit.has(k)) out[k] = walk(x)
    }
    return out
  }
  return JSON.stringify(walk(value))
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}
