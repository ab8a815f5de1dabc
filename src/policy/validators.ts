import type {ValidateFunction} from 'ajv'
import {policyAjv} from './ajv.js'
import {ALLOW_FILE_SCHEMA, POLICY_SCHEMA} from './schema.js'

// `npm run build` replaces this module in dist/ with validators generated ahead of time (see ajv.ts), which export
// the same two functions; this form compiles at first use, for tsx and tests.

let ajv: ReturnType<typeof policyAjv> | undefined
let policy: ValidateFunction | undefined
let allowFile: ValidateFunction | undefined

/** Compiled once: the schema is constant, so caching the validator changes no behaviour. */
export function policyValidator(): ValidateFunction {
  policy ??= (ajv ??= policyAjv()).compile(POLICY_SCHEMA)
  return policy
}

/** `scan|vet --allow FILE`: the same entries a policy scope holds, same checks. */
export function allowFileValidator(): ValidateFunction {
  allowFile ??= (ajv ??= policyAjv()).compile(ALLOW_FILE_SCHEMA)
  return allowFile
}
