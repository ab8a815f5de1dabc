// Runs after tsc (npm run build), before the fast paths are bundled: the trust-policy validators, compiled by ajv at
// build time instead of at every run (src/policy/ajv.ts says why), written over tsc's run-time-compiling form.
import {writeFile} from 'node:fs/promises'

const dist = new URL('../dist/src/policy/', import.meta.url)
const {validatorsModule} = await import(new URL('ajv.js', dist).href)
await writeFile(new URL('validators.js', dist), validatorsModule())
