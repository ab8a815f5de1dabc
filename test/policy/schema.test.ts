// The policy's shape is written twice: as JSON Schema (src/policy/schema.ts, what a file may say) and as TypeScript
// types (src/policy/types.ts, what the code reads). This test reads both, the types through the TypeScript checker,
// and fails on any key, optionality or kind that one has and the other lacks, so a requirement added to one side only
// cannot ship: either the schema refuses what the code reads, or the code ignores what the schema accepts.
import test from 'ava'
import {join} from 'node:path'
import ts from 'typescript'
import {POLICY_SCHEMA} from '../../src/policy/schema.js'

type Shape = 'string' | 'number' | 'boolean' | {array: Shape} | {object: Record<string, {shape: Shape; optional: boolean}>}

const TYPES = join(import.meta.dirname, '..', '..', 'src', 'policy', 'types.ts')

/** Keys the loader adds (positions in the file, the scope's index, where it came from): in the types only. */
const LOADED: Record<string, readonly string[]> = {
  policy: ['source', 'file'],
  scope: ['index', 'line'],
  'scope.allow[]': ['line', 'file'],
}
/** Keys of the file the loader folds away: `defaults` is merged into every scope, `version` is checked and dropped. */
const FOLDED: Record<string, readonly string[]> = {policy: ['version', 'defaults']}
/** Optional in the file, always set once loaded: a policy without a name is named after its file. */
const DEFAULTED: Record<string, readonly string[]> = {policy: ['name']}

function fromSchema(s: Record<string, unknown>): Shape {
  const type = s.type
  if (Array.isArray(type)) {
    // `match: glob | [glob]`: the loader makes it a list.
    if (type.includes('array')) return {array: fromSchema(s.items as Record<string, unknown>)}
    throw new Error(`union ${type.join('|')} not understood`)
  }
  if (type === 'string') return 'string'
  if (type === 'integer' || type === 'number') return 'number'
  if (type === 'boolean') return 'boolean'
  if (type === 'array') return {array: fromSchema(s.items as Record<string, unknown>)}
  if (type === 'object') {
    const required = new Set((s.required as string[] | undefined) ?? [])
    const props = (s.properties ?? {}) as Record<string, Record<string, unknown>>
    return {object: Object.fromEntries(Object.entries(props).map(([k, v]) => [k, {shape: fromSchema(v), optional: !required.has(k)}]))}
  }
  throw new Error(`schema type ${String(type)} not understood`)
}

function fromType(checker: ts.TypeChecker, t: ts.Type): Shape {
  const parts = t.isUnion() ? t.types.filter((p) => !(p.flags & ts.TypeFlags.Undefined)) : [t]
  if (parts.every((p) => p.flags & ts.TypeFlags.StringLike)) return 'string'
  if (parts.every((p) => p.flags & ts.TypeFlags.NumberLike)) return 'number'
  if (parts.every((p) => p.flags & ts.TypeFlags.BooleanLike)) return 'boolean'
  const [only] = parts
  if (parts.length !== 1 || !only) throw new Error(`type ${checker.typeToString(t)} not understood`)
  if (checker.isArrayType(only)) {
    const [element] = checker.getTypeArguments(only as ts.TypeReference)
    if (!element) throw new Error(`array ${checker.typeToString(only)} without an element type`)
    return {array: fromType(checker, element)}
  }
  const entries = checker.getPropertiesOfType(only).map((p) => {
    const decl = p.valueDeclaration ?? p.declarations?.[0]
    if (!decl) throw new Error(`property ${p.name} has no declaration`)
    const shape = fromType(checker, checker.getTypeOfSymbolAtLocation(p, decl))
    return [p.name, {shape, optional: (p.flags & ts.SymbolFlags.Optional) !== 0}] as const
  })
  return {object: Object.fromEntries(entries)}
}

/** Every disagreement, one line each, at a dotted path (`scope.signatures.notation.trustStore`). */
function compare(schema: Shape, types: Shape, at: string): string[] {
  const kind = (s: Shape) => (typeof s === 'string' ? s : 'array' in s ? 'array' : 'object')
  if (kind(schema) !== kind(types)) return [`${at}: the schema says ${kind(schema)}, the types say ${kind(types)}`]
  if (typeof schema === 'string' || typeof types === 'string') return []
  if ('array' in schema && 'array' in types) return compare(schema.array, types.array, `${at}[]`)
  if (!('object' in schema) || !('object' in types)) return []
  const out: string[] = []
  const loaded = new Set(LOADED[at] ?? [])
  const folded = new Set(FOLDED[at] ?? [])
  const defaulted = new Set(DEFAULTED[at] ?? [])
  for (const [k, s] of Object.entries(schema.object)) {
    const t = types.object[k]
    if (!t) {
      if (!folded.has(k)) out.push(`${at}.${k}: in the schema, not in the types`)
      continue
    }
    if (s.optional !== t.optional && !(s.optional && defaulted.has(k))) out.push(`${at}.${k}: ${s.optional ? 'optional' : 'required'} in the schema, ${t.optional ? 'optional' : 'required'} in the types`)
    out.push(...compare(s.shape, t.shape, `${at}.${k}`))
  }
  for (const k of Object.keys(types.object)) {
    if (!(k in schema.object) && !loaded.has(k)) out.push(`${at}.${k}: in the types, not in the schema`)
  }
  return out
}

function typeShapes(): Record<'policy' | 'scope' | 'requirements', Shape> {
  const program = ts.createProgram([TYPES], {strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext})
  const checker = program.getTypeChecker()
  const file = program.getSourceFile(TYPES)
  const mod = file && checker.getSymbolAtLocation(file)
  if (!mod) throw new Error(`${TYPES} not found`)
  const exported = new Map(checker.getExportsOfModule(mod).map((s) => [s.name, s]))
  const shape = (name: string): Shape => {
    const sym = exported.get(name)
    if (!sym) throw new Error(`${name} is not exported from src/policy/types.ts`)
    return fromType(checker, checker.getDeclaredTypeOfSymbol(sym))
  }
  return {policy: shape('Policy'), scope: shape('Scope'), requirements: shape('ScopeRequirements')}
}

function schemaShapes(): Record<'policy' | 'scope' | 'requirements', Shape> {
  const root = POLICY_SCHEMA as unknown as Record<string, unknown>
  const props = root.properties as Record<string, Record<string, unknown>>
  const scopes = props.scopes as {items: Record<string, unknown>}
  return {policy: fromSchema(root), scope: fromSchema(scopes.items), requirements: fromSchema(props.defaults as Record<string, unknown>)}
}

const types = typeShapes()
const schema = schemaShapes()

test('policy types and JSON Schema agree: every requirement key, whether it is required, and its kind', (t) => {
  t.deepEqual(compare(schema.requirements, types.requirements, 'scope'), [])
  t.deepEqual(compare(schema.scope, types.scope, 'scope'), [])
  // The document: only what the loader keeps (name, description, scopes), scopes compared above.
  const top = (s: Shape): Shape => {
    if (typeof s === 'string' || !('object' in s)) return s
    const {scopes: _scopes, ...rest} = s.object
    return {object: rest}
  }
  t.deepEqual(compare(top(schema.policy), top(types.policy), 'policy'), [])
})

test('the comparison sees a key added to one side only, a changed optionality and a changed kind', (t) => {
  const req = schema.requirements
  if (typeof req === 'string' || !('object' in req)) return t.fail('requirements are not an object')
  const withExtra: Shape = {object: {...req.object, pullSecrets: {shape: 'boolean', optional: true}}}
  t.deepEqual(compare(withExtra, types.requirements, 'scope'), ['scope.pullSecrets: in the schema, not in the types'])
  const {maxAgeDays: _gone, ...without} = req.object
  t.deepEqual(compare({object: without}, types.requirements, 'scope'), ['scope.maxAgeDays: in the types, not in the schema'])
  const retyped: Shape = {object: {...req.object, maxAgeDays: {shape: 'string', optional: false}}}
  t.deepEqual(compare(retyped, types.requirements, 'scope'), [
    'scope.maxAgeDays: required in the schema, optional in the types',
    'scope.maxAgeDays: the schema says string, the types say number',
  ])
})
