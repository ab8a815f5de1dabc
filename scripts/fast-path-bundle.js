// Runs after tsc (npm run build): the fast paths bin/run.js takes without oclif, each as one file. Node 20 has no
// module compile cache (module.enableCompileCache is Node 22), and resolving, reading and wrapping a graph of
// modules one by one is most of their start-up: pull's ~40 modules took ~40 ms of a small pull's ~0.15 s; adopt's
// ~150 modules of ours and ~220 of packages (yaml, ajv, sigstore) took ~0.45 s of CPU and 72 MiB, as one file
// ~0.2 s and 59 MiB. Node built-ins stay imports.
import {build} from 'esbuild'
import {readFile} from 'node:fs/promises'
import {dirname, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

const dist = fileURLToPath(new URL('../dist/', import.meta.url))

/**
 * A module that finds files next to itself (the scan's worker script, the trust-policies directory, a package's data
 * file) keeps finding them: its import.meta.url becomes its own dist/ location again, relative to the bundle.
 */
const ownUrl = (outfile) => ({
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({filter: /\.js$/}, async (args) => {
      if (!args.path.startsWith(dist)) return undefined
      const source = await readFile(args.path, 'utf8')
      if (!source.includes('import.meta.url')) return undefined
      const rel = `./${relative(dirname(outfile), args.path)}`
      return {contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'js'}
    })
  },
})

for (const [entry, out] of [['commands/_fast-pull.js', 'fast-pull.js'], ['commands/_fast-adopt.js', 'fast-adopt.js']]) {
  const outfile = `${dist}${out}`
  await build({
    entryPoints: [`${dist}${entry}`],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // CommonJS packages inside an ES module bundle still call require() for node's built-ins.
    banner: {js: "import {createRequire as __imgvetRequire} from 'node:module'; const require = __imgvetRequire(import.meta.url);"},
    plugins: [ownUrl(outfile)],
    // A third less to parse (~15 ms, ~4 MiB for adopt's); names are kept, and --debug runs take oclif's unbundled path.
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
  })
}
