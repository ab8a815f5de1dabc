import type {FileCheck} from './check.js'
import {CONTENT_CHECKS} from './secrets/index.js'

/**
 * Every plug-in of the layer walk. Adding one is one file plus one line here, and its finding ids in the rule
 * catalogue (src/findings/rules.ts; test/checks/rules.test.ts names any missing); a test proves ids are unique.
 */
export const FILE_CHECKS: readonly FileCheck[] = [...CONTENT_CHECKS]

export {IMAGE_CHECKS, runImageChecks} from './config/index.js'
