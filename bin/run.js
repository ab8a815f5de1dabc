#!/usr/bin/env node
const argv = process.argv.slice(2)
// `pull` of a small image spends most of its time starting oclif, and so does much of an `adopt`: a plain invocation
// runs without it, the same code the command runs (commands/_fast-pull.ts, bundled into one file by npm run build:
// scripts/fast-path-bundle.js; commands/_fast-adopt.ts). Anything else, or anything they do not understand, is oclif's.
// Their flags as oclif.manifest.json lists them, in a file of their own (scripts/oclif-manifest.js writes both).
const manifest = new URL('../dist/fast-flags.json', import.meta.url)
const fast = argv[0] === 'pull' ? await (await import('../dist/fast-pull.js')).fastPull(argv.slice(1), manifest)
  : argv[0] === 'adopt' ? await (await import('../dist/commands/_fast-adopt.js')).fastAdopt(argv.slice(1), manifest)
    : false
if (!fast) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
