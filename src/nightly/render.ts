import {SCHEMA_VERSION} from '../report/json.js'
import type {RunReport} from './types.js'

/** The registry report as JSON (schemas/registry-report.schema.json); `registry merge` reads it back. */
export function renderRegistryJson(r: RunReport): string {
  return `${JSON.stringify({schemaVersion: SCHEMA_VERSION, ...r}, null, 2)}\n`
}
