// Runs after tsc (npm run build): pull's fast path (dist/commands/_fast-pull.js and the ~40 modules it imports) as
// one file, dist/fast-pull.js, which bin/run.js loads. Node 20 has no module compile cache (module.enableCompileCache
// is Node 22), and resolving and loading those modules one by one took ~40 ms of a small pull whose whole run is
// ~0.15 s; the one file loads in a few. Node built-ins and packages stay imports (the fast path uses no package).
import {build} from 'esbuild'
import {fileURLToPath} from 'node:url'

const dist = fileURLToPath(new URL('../dist/', import.meta.url))
await build({
  entryPoints: [`${dist}commands/_fast-pull.js`],
  outfile: `${dist}fast-pull.js`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
})
