// No module of src/ imports itself back at run time. A cycle of runtime values works only as long as neither side
// calls the other while modules are being evaluated; the first refactor that does gets `undefined`. Imports that
// only carry types are erased by the compiler, so the graph is read from what it emits, file by file.
import test from 'ava'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import ts from 'typescript'

const root = join(import.meta.dirname, '..', '..')

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

function runtimeImports(file: string): string[] {
  const compilerOptions = {module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022}
  const js = ts.transpileModule(readFileSync(file, 'utf8'), {compilerOptions}).outputText
  return [...js.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|^\s*import\s+['"](\.[^'"]+)['"]/gm)]
    .map((m) => resolve(dirname(file), (m[1] ?? m[2] ?? '').replace(/\.js$/, '.ts')))
}

/** Strongly connected groups of more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const out: string[][] = []
  const visit = (v: string) => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0))
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0))
      }
    }
    if (low.get(v) !== index.get(v)) return
    const group: string[] = []
    for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) {
      onStack.delete(w)
      group.push(w)
    }
    if (group.length > 1) out.push(group.sort())
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return out
}

test('no runtime import cycle between files of src/', (t) => {
  const all = files(join(root, 'src'))
  const known = new Set(all)
  const graph = new Map(all.map((f) => [f, runtimeImports(f).filter((d) => known.has(d))]))
  t.true(graph.size > 100, 'the source tree was not found')
  t.deepEqual(cycles(graph).map((g) => g.map((f) => relative(root, f))), [])
})

test('the cycle finder finds a cycle of two', (t) => {
  t.deepEqual(cycles(new Map([['a', ['b']], ['b', ['a']], ['c', ['a']]])), [['a', 'b']])
})
