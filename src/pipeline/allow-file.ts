import {readFile} from 'node:fs/promises'
import {parseDocument} from 'yaml'
import {ImgvetError} from '../errors.js'
import type {AllowEntry} from '../policy/types.js'

/**
 * `scan --allow FILE`: the same entries a policy scope's `allow:` holds, in a file of their own
 * (`allow: [{id|path|fingerprint, reason, expires}]`). Every entry needs a reason and an expiry, as in policies.
 */
export async function loadAllowFile(file: string): Promise<AllowEntry[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    throw new ImgvetError('bad-input', `cannot read allow file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, file)
  }
  const doc = parseDocument(text)
  if (doc.errors.length > 0) {
    const err = doc.errors[0]
    throw new ImgvetError('bad-policy', `invalid YAML: ${err?.message.split('\n')[0] ?? ''}`, `${file}:${err?.linePos?.[0]?.line ?? 1}`)
  }
  const data = doc.toJS() as {allow?: unknown} | null
  const list = data?.allow
  if (!Array.isArray(list)) throw new ImgvetError('bad-policy', 'expected a top-level "allow:" list', file)
  return list.map((raw, i) => {
    const e = raw as Record<string, unknown>
    const where = `${file} allow[${i}]`
    if (typeof e !== 'object' || e === null) throw new ImgvetError('bad-policy', 'entry is not a mapping', where)
    if (typeof e.reason !== 'string' || !e.reason.trim()) throw new ImgvetError('bad-policy', 'entry needs a reason', where)
    const expires = e.expires instanceof Date ? e.expires.toISOString().slice(0, 10) : e.expires
    if (typeof expires !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(expires)) throw new ImgvetError('bad-policy', 'entry needs expires: YYYY-MM-DD', where)
    if (e.id === undefined && e.path === undefined && e.fingerprint === undefined && e.package === undefined) {
      throw new ImgvetError('bad-policy', 'entry needs id, path, fingerprint or package', where)
    }
    const entry: AllowEntry = {reason: e.reason, expires}
    for (const k of ['id', 'path', 'fingerprint', 'package'] as const) {
      if (e[k] !== undefined) {
        if (typeof e[k] !== 'string') throw new ImgvetError('bad-policy', `${k} must be a string`, where)
        entry[k] = e[k] as string
      }
    }
    return entry
  })
}
