/**
 * `npm run test:unit`: every test that needs no registry fixtures and no build, in one ava run. Arguments after
 * `--` go to ava. The list comes from the import graph, so it never goes stale by hand.
 */
import {spawnSync} from 'node:child_process'
import {unitTestFiles} from './import-graph.js'

const files = unitTestFiles()
const r = spawnSync('npx', ['ava', ...files, ...process.argv.slice(2)], {stdio: 'inherit'})
process.exit(r.status ?? 1)
