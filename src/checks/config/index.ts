import type {Finding} from '../../findings/finding.js'
import {daemonTlsCheck} from './daemon.js'
import {setuidCheck, sudoCheck, worldWritableCheck} from './filesystem.js'
import {baseImageCheck, healthcheckCheck, imageAgeCheck, requiredLabelsCheck, volumesCheck} from './metadata.js'
import {exposedPortsCheck} from './ports.js'
import type {ImageCheck, ImageCheckContext} from './types.js'
import {allowedUidCheck, rootUserCheck, unknownUserCheck} from './user.js'

export type {ImageCheck, ImageCheckContext} from './types.js'

/**
 * Every image-level check, in report order. Adding a check is one file plus one line here, and its finding ids in
 * src/findings/rules.ts (a test names any missing).
 */
export const IMAGE_CHECKS: readonly ImageCheck[] = [
  rootUserCheck,
  unknownUserCheck,
  allowedUidCheck,
  exposedPortsCheck,
  setuidCheck,
  worldWritableCheck,
  sudoCheck,
  requiredLabelsCheck,
  imageAgeCheck,
  volumesCheck,
  daemonTlsCheck,
  healthcheckCheck,
  baseImageCheck,
]

export function runImageChecks(ctx: ImageCheckContext, checks: readonly ImageCheck[] = IMAGE_CHECKS): Finding[] {
  return checks.flatMap((c) => c.run(ctx))
}

/** Ids and versions for cache keys and reports. */
export function imageCheckVersions(checks: readonly ImageCheck[] = IMAGE_CHECKS): string {
  return checks.map((c) => `${c.id}@${c.version}`).join(',')
}
