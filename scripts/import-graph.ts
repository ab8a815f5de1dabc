/**
 * The import graph of the project, read with the TypeScript parser: runtime import cycles and exports nothing
 * imports. ESLint's import plugins could not map this project's `./x.js` specifiers onto `.ts` sources under a flat
 * config, so `npm run lint` runs this next to ESLint, and test/architecture asserts the same facts.
 *   node --import=tsx scripts/import-graph.ts   (exit 1 and one line per problem)
 */
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import ts from 'typescript'

const ROOT = resolve(import.meta.dirname, '..')
const SCANNED = ['src', 'commands', 'test', 'bench', 'scripts']

interface ModuleInfo {
  /** Files this one imports at run time (type-only imports do not make a cycle). */
  runtime: Set<string>
  /** Names each imported file is asked for; '*' for a namespace import or `export *`. */
  uses: Map<string, Set<string>>
  exports: Array<{name: string; line: number}>
}

function tsFiles(dir: string): string[] {
  let out: string[] = []
  for (const n of readdirSync(dir)) {
    if (n === 'node_modules' || n === 'dist') continue
    const p = join(dir, n)
    if (statSync(p).isDirectory()) out = out.concat(tsFiles(p))
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p)
  }
  return out
}

function target(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null
  return resolve(dirname(from), spec.replace(/\.js$/, '.ts'))
}

function hasExport(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
}

function parse(file: string): ModuleInfo {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true)
  const info: ModuleInfo = {runtime: new Set(), uses: new Map(), exports: []}
  const use = (to: string, name: string): void => {
    const s = info.uses.get(to) ?? new Set<string>()
    s.add(name)
    info.uses.set(to, s)
  }
  const lineOf = (n: ts.Node): number => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1
  for (const st of sf.statements) {
    if ((ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
      const to = target(file, st.moduleSpecifier.text)
      if (!to) continue
      let typeOnly = ts.isImportDeclaration(st) ? Boolean(st.importClause?.isTypeOnly) : st.isTypeOnly
      if (ts.isImportDeclaration(st)) {
        const c = st.importClause
        if (!c) typeOnly = false
        if (c?.name) use(to, 'default')
        const nb = c?.namedBindings
        if (nb && ts.isNamespaceImport(nb)) use(to, '*')
        if (nb && ts.isNamedImports(nb)) {
          for (const e of nb.elements) use(to, (e.propertyName ?? e.name).text)
          if (!typeOnly && nb.elements.length > 0 && nb.elements.every((e) => e.isTypeOnly)) typeOnly = true
        }
      } else {
        const ec = st.exportClause
        if (!ec) use(to, '*')
        else if (ts.isNamedExports(ec)) for (const e of ec.elements) use(to, (e.propertyName ?? e.name).text)
      }
      if (!typeOnly) info.runtime.add(to)
      continue
    }
    if (!hasExport(st)) continue
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) info.exports.push({name: d.name.text, line: lineOf(d)})
    } else if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && st.name) {
      const isDefault = (ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)
      info.exports.push({name: isDefault ? 'default' : st.name.text, line: lineOf(st)})
    } else if ((ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st) || ts.isEnumDeclaration(st))) {
      info.exports.push({name: st.name.text, line: lineOf(st)})
    }
  }
  return info
}

export interface GraphProblems {
  /** Modules read: a guard that the tree was found at all. */
  modules: number
  cycles: string[][]
  unusedExports: string[]
}

/** Strongly connected groups of more than one node (Tarjan), each sorted. */
export function stronglyConnected(graph: ReadonlyMap<string, Iterable<string>>): string[][] {
  let index = 0
  const idx = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const on = new Set<string>()
  const out: string[][] = []
  const visit = (v: string): void => {
    idx.set(v, index)
    low.set(v, index++)
    stack.push(v)
    on.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!idx.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0))
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) ?? 0, idx.get(w) ?? 0))
    }
    if (low.get(v) === idx.get(v)) {
      const group: string[] = []
      for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
        on.delete(w)
        group.push(w)
        if (w === v) break
      }
      if (group.length > 1) out.push(group.sort())
    }
  }
  for (const v of graph.keys()) if (!idx.has(v)) visit(v)
  return out
}

function readModules(): Map<string, ModuleInfo> {
  const mods = new Map<string, ModuleInfo>()
  for (const dir of SCANNED) {
    let list: string[] = []
    try {
      list = tsFiles(join(ROOT, dir))
    } catch {
      continue
    }
    for (const f of list) mods.set(f, parse(f))
  }
  return mods
}

/** Files reachable from `file` through any import (type-only ones too: they are loaded by tsx all the same). */
function reachable(mods: Map<string, ModuleInfo>, file: string): Set<string> {
  const seen = new Set<string>([file])
  const todo = [file]
  for (let f = todo.pop(); f !== undefined; f = todo.pop()) {
    for (const to of mods.get(f)?.uses.keys() ?? []) if (!seen.has(to)) { seen.add(to); todo.push(to) }
  }
  return seen
}

/**
 * What makes a test an integration test: it reads the shared registry fixtures, needs a built dist/ (it runs the
 * CLI), or starts a real registry or buildah. Judged on every module a test file reaches.
 */
const NEEDS_MORE = /\bloadFixtures\(|\bensureBuilt\b|\bstartRegistry\(|\bnew Buildah\(|bin\/run\.js|'bin', 'run\.js'/

/** Test files that need no fixtures, no build and no external server: what `npm run test:unit` runs. */
export function unitTestFiles(): string[] {
  const mods = readModules()
  const heavy = new Map<string, boolean>()
  const isHeavy = (f: string): boolean => {
    let h = heavy.get(f)
    if (h === undefined) heavy.set(f, (h = NEEDS_MORE.test(readFileSync(f, 'utf8'))))
    return h
  }
  return [...mods.keys()]
    .filter((f) => f.endsWith('.test.ts'))
    .filter((f) => ![...reachable(mods, f)].some((m) => mods.has(m) && isHeavy(m)))
    .map((f) => relative(ROOT, f))
    .sort()
}

export function importGraphProblems(): GraphProblems {
  const mods = readModules()
  const used = new Map<string, Set<string>>()
  for (const m of mods.values()) {
    for (const [to, names] of m.uses) {
      const s = used.get(to) ?? new Set<string>()
      for (const n of names) s.add(n)
      used.set(to, s)
    }
  }
  const unusedExports: string[] = []
  for (const [file, m] of mods) {
    // Commands are loaded by oclif from their default export, tests by ava: nothing imports them by name.
    if (!relative(ROOT, file).startsWith('src/')) continue
    const u = used.get(file)
    if (u?.has('*')) continue
    for (const e of m.exports) if (!u?.has(e.name)) unusedExports.push(`${relative(ROOT, file)}:${e.line}: export '${e.name}' is imported nowhere`)
  }
  const runtime = new Map([...mods].map(([f, m]) => [f, m.runtime] as const))
  return {modules: mods.size, cycles: stronglyConnected(runtime).map((g) => g.map((f) => relative(ROOT, f))), unusedExports}
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const p = importGraphProblems()
  for (const c of p.cycles) console.log(`import cycle (run time): ${c.join(' <-> ')}`)
  for (const u of p.unusedExports) console.log(u)
  const n = p.cycles.length + p.unusedExports.length
  if (n > 0) console.log(`${n} import-graph problem(s)`)
  process.exit(n > 0 ? 1 : 0)
}
