// Run under flock by ensureBuilt(): whoever gets the lock second finds dist/ fresh and does nothing.
import {execFileSync} from 'node:child_process'
import {distIsStale} from './build.js'

if (distIsStale()) execFileSync('npm', ['run', 'build'], {stdio: 'inherit'})
