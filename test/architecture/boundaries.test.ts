import test from 'ava'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {FILE_CHECKS, IMAGE_CHECKS} from '../../src/checks/index.js'

const root = join(import.meta.dirname, '..', '..')

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? '')
}

test('src/ never imports commands/ or oclif', (t) => {
  const bad: string[] = []
  for (const f of files(join(root, 'src'))) {
    for (const i of imports(f)) if (i.includes('/commands/') || i.startsWith('@oclif/')) bad.push(`${relative(root, f)} -> ${i}`)
  }
  t.deepEqual(bad, [])
})

test('renderers never import the image model, the walk or the checks', (t) => {
  const bad: string[] = []
  for (const f of files(join(root, 'src', 'report'))) {
    // inspect.ts renders the plain InspectResult data type; everything else renders findings only.
    if (f.endsWith('inspect.ts')) continue
    for (const i of imports(f)) if (/\/(image|layers|checks|registry)\//.test(i)) bad.push(`${relative(root, f)} -> ${i}`)
  }
  t.deepEqual(bad, [])
})

test('check ids are unique across the walk and the image checks', (t) => {
  const ids = [...FILE_CHECKS.map((c) => c.id), ...IMAGE_CHECKS.map((c) => c.id)]
  t.is(new Set(ids).size, ids.length)
  for (const c of FILE_CHECKS) t.true(Number.isInteger(c.version) && c.version > 0, c.id)
})

test('no source file grows past 400 lines unnoticed', (t) => {
  const long = files(join(root, 'src')).concat(files(join(root, 'commands'))).filter((f) => readFileSync(f, 'utf8').split('\n').length > 400)
  t.deepEqual(long.map((f) => relative(root, f)), [])
})
