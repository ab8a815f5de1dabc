import {readFileSync} from 'node:fs'
import type {FixtureState} from './state.js'

export type {FixtureState, ImageState, PlantedSecret, RegistryState, RootUserVariant, SecretsState} from './state.js'

let cached: FixtureState | undefined

/**
 * The shared interop fixtures (registries + images) built once per `npm test` run. Reading a missing state file is
 * an error rather than a skip: a test that silently skips its registry half proves nothing.
 */
export function loadFixtures(): FixtureState {
  if (cached) return cached
  const file = process.env['IMGVET_FIXTURES']
  if (!file) {
    throw new Error('IMGVET_FIXTURES is not set: run npm test, or npm run fixtures (test/support/fixtures-up.sh) and export the line it prints')
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new Error(`cannot read fixture state ${file} (${e instanceof Error ? e.message : String(e)}): run npm test, or npm run fixtures`)
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as {version?: unknown}).version !== 1) {
    throw new Error(`fixture state ${file} has an unknown format: restart the fixtures (run npm test, or npm run fixtures)`)
  }
  cached = parsed as FixtureState
  return cached
}

/** `docker://host/repo:tag` or `@digest` for a fixture image. */
export function dockerRef(image: {ref: string; digest: string}, byDigest = false): string {
  if (!byDigest) return `docker://${image.ref}`
  const at = image.ref.lastIndexOf(':')
  return `docker://${image.ref.slice(0, at)}@${image.digest}`
}
