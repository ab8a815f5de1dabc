#!/usr/bin/env node
const argv = process.argv.slice(2)
// A plain `pull` or `adopt` runs without oclif, whose start-up costs more than a small pull and a good part of an
// adopt: the same code the command runs (commands/_fast-pull.ts, commands/_fast-adopt.ts), each bundled into one
// file by npm run build (scripts/fast-path-bundle.js). Anything else, or anything they do not understand, is oclif's.
// Their flags as oclif.manifest.json lists them, in a file of their own (scripts/oclif-manifest.js writes both).
const manifest = new URL('../dist/fast-flags.json', import.meta.url)
const fast = argv[0] === 'pull' ? await (await import('../dist/fast-pull.js')).fastPull(argv.slice(1), manifest)
  : argv[0] === 'adopt' ? await (await import('../dist/fast-adopt.js')).fastAdopt(argv.slice(1), manifest)
    : false
if (!fast) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
