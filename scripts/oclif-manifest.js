// Writes oclif.manifest.json after tsc, so a command run imports only its own module instead of every command's
// (oclif otherwise loads all of them to find one), which keeps start-up fast for CI gates.
import {Plugin} from '@oclif/core'
import {writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const plugin = new Plugin({root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true})
await plugin.load()
// The flags of the commands bin/run.js may run without oclif, on their own: the whole manifest takes ~10 ms to parse.
const fast = Object.fromEntries(['pull', 'adopt'].map((id) => [id, {flags: plugin.manifest.commands[id].flags}]))
writeFileSync(new URL('../dist/fast-flags.json', import.meta.url), JSON.stringify({commands: fast}))
writeFileSync(new URL('../oclif.manifest.json', import.meta.url), JSON.stringify(plugin.manifest, null, 2))
console.log(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`)
