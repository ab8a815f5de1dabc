import {Ajv, type ValidateFunction} from 'ajv'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

const DIR = join(import.meta.dirname, '..', '..', 'schemas')

/**
 * The published schemas let objects grow (a consumer pinned to schemaVersion 1 must not reject a report that gained
 * a field). The tests hold imgvet to more: every object that lists its properties lists all of them, so a field the
 * code emits and the schema does not document fails here instead of surprising a user.
 */
function closed(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closed)
  if (typeof node !== 'object' || node === null) return node
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(node)) out[k] = k === 'properties' ? mapValues(v, closed) : closed(v)
  if ('properties' in out && !('additionalProperties' in out)) out.additionalProperties = false
  return out
}

function mapValues(o: unknown, f: (v: unknown) => unknown): unknown {
  return Object.fromEntries(Object.entries(o as Record<string, unknown>).map(([k, v]) => [k, f(v)]))
}

export type ReportSchema = 'scan-report' | 'vet-report' | 'registry-report'

/** A validator for schemas/<name>.schema.json, the shared definitions resolved from the same folder. */
export function reportValidator(name: ReportSchema, opts: {strict?: boolean} = {}): ValidateFunction {
  const ajv = new Ajv({allErrors: true, strict: true, strictRequired: false})
  ajv.addFormat('date-time', (s: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s))
  for (const f of readdirSync(DIR).filter((n) => n.endsWith('.schema.json'))) {
    const schema = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as object
    ajv.addSchema(opts.strict === false ? schema : (closed(schema) as object))
  }
  const v = ajv.getSchema(`https://raw.githubusercontent.com/imgvet/imgvet/main/schemas/${name}.schema.json`)
  if (!v) throw new Error(`no schema ${name}`)
  return v
}

export function schemaErrors(v: ValidateFunction): string {
  return JSON.stringify(v.errors?.slice(0, 5) ?? [])
}
