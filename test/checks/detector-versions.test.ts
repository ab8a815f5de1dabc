import test from 'ava'
import {createHash} from 'node:crypto'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import type {Detector} from '../../src/checks/secrets/detector.js'
import {DETECTORS} from '../../src/checks/secrets/detectors/index.js'

/**
 * The layer cache trusts a detector's version: results for a layer are reused as long as every detector's id and
 * version are unchanged. This test holds a hash of each detector's source (its module and the secrets/ files it
 * imports) and fails when the source changes but the version does not, so a stale cached result can never be
 * served. Helpers every detector shares belong to the text check itself (TEXT_CHECK_VERSION in secrets/index.ts).
 */
const root = join(import.meta.dirname, '..', '..')
const secrets = join(root, 'src', 'checks', 'secrets')
const SNAPSHOT = join(import.meta.dirname, 'detector-versions.json')
const SHARED = ['index.ts', 'detector.ts', 'needles.ts', 'util.ts', 'tokens.ts', 'checksum.ts', 'noise.ts', 'detectors/index.ts']
const UPDATE = 'UPDATE_DETECTOR_SNAPSHOT=1 npx ava test/checks/detector-versions.test.ts'

/** Local imports of a file under src/checks/secrets, type-only imports left out (they change no result). */
function localSources(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen
  seen.add(file)
  const text = readFileSync(file, 'utf8')
  for (const m of text.matchAll(/^import\s+(type\s+)?[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) {
    if (m[1]) continue
    const target = resolve(dirname(file), (m[2] ?? '').replace(/\.js$/, '.ts'))
    if (target.startsWith(secrets) && !SHARED.includes(relative(secrets, target))) localSources(target, seen)
  }
  return seen
}

function hashOf(files: Iterable<string>): string {
  const h = createHash('sha256')
  for (const f of [...files].sort()) h.update(`${relative(secrets, f)}\0${readFileSync(f, 'utf8')}\0`)
  return h.digest('hex').slice(0, 16)
}

async function moduleOf(): Promise<Map<string, string>> {
  const dir = join(secrets, 'detectors')
  const byId = new Map<string, string>()
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.ts') && n !== 'index.ts')) {
    const mod = (await import(pathToFileURL(join(dir, name)).href)) as Record<string, unknown>
    for (const v of Object.values(mod)) {
      const d = v as Partial<Detector>
      if (d && typeof d === 'object' && typeof d.id === 'string' && typeof d.detect === 'function') byId.set(d.id, join(dir, name))
    }
  }
  return byId
}

interface Entry {version: number; sha256: string}

test('a detector whose source changed has a new version (hash snapshot)', async (t) => {
  const files = await moduleOf()
  const current: Record<string, Entry> = {}
  const index = readFileSync(join(secrets, 'index.ts'), 'utf8')
  const textVersion = Number(/TEXT_CHECK_VERSION = (\d+)/.exec(index)?.[1])
  current['secrets.text'] = {version: textVersion, sha256: hashOf(SHARED.map((f) => join(secrets, f)))}
  for (const d of DETECTORS) {
    const file = files.get(d.id)
    t.truthy(file, `detector ${d.id} is exported from its own module in src/checks/secrets/detectors/`)
    if (file) current[d.id] = {version: d.version, sha256: hashOf(localSources(file))}
  }
  if (process.env.UPDATE_DETECTOR_SNAPSHOT) {
    writeFileSync(SNAPSHOT, `${JSON.stringify(current, null, 2)}\n`)
    t.pass()
    return
  }
  const stored = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Record<string, Entry>
  const problems: string[] = []
  for (const [id, now] of Object.entries(current)) {
    const was = stored[id]
    const what = id === 'secrets.text' ? 'TEXT_CHECK_VERSION in src/checks/secrets/index.ts' : `the version of detector ${id}`
    if (!was) problems.push(`${id} is new: run ${UPDATE}`)
    else if (was.sha256 !== now.sha256 && was.version === now.version) {
      problems.push(`${id}: its source changed but its version is still ${now.version}. Bump ${what} (cached layer ` +
        `results would otherwise be served stale), then run ${UPDATE}`)
    } else if (was.sha256 !== now.sha256 || was.version !== now.version) problems.push(`${id}: version bumped; run ${UPDATE}`)
  }
  for (const id of Object.keys(stored)) if (!current[id]) problems.push(`${id} is no longer registered: run ${UPDATE}`)
  t.deepEqual(problems, [])
})

test('detector ids are unique and versions are positive integers', (t) => {
  const ids = DETECTORS.map((d) => d.id)
  t.is(new Set(ids).size, ids.length)
  for (const d of DETECTORS) t.true(Number.isInteger(d.version) && d.version > 0, d.id)
})
