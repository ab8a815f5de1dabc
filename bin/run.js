#!/usr/bin/env node
const argv = process.argv.slice(2)
// `pull` of a small image spends most of its time starting oclif: a plain invocation runs without it, the same
// code the command runs (commands/_fast-pull.ts, bundled into one file by npm run build: scripts/fast-path-bundle.js).
// Anything else, or anything it does not understand, is oclif's.
const fast = argv[0] === 'pull' && await (await import('../dist/fast-pull.js')).fastPull(argv.slice(1), new URL('../oclif.manifest.json', import.meta.url))
if (!fast) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
