import {Ajv, type ValidateFunction} from 'ajv'
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'

/**
 * The SARIF 2.1.0 schema as Microsoft's SARIF SDK ships it to npm (@microsoft/jest-sarif, a devDependency; never
 * copied here). It is the 2.1.0-rtm.5 text in draft-04 syntax; the OASIS final differs only in three artifact
 * roles, `format: uuid` for GUIDs and the `language` pattern (rtm.5's is not a valid unicode regex, hence
 * unicodeRegExp: false), none of which imgvet emits.
 */
export function sarifValidator(): ValidateFunction {
  const pkg = createRequire(import.meta.url).resolve('@microsoft/jest-sarif/package.json')
  const schema = JSON.parse(readFileSync(join(dirname(pkg), 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json'), 'utf8')) as Record<string, unknown>
  // Its draft-04 `$schema`/`id` header is the only part ajv 8 does not read; the keywords it uses are draft-07's too.
  delete schema['$schema']
  delete schema['id']
  const ajv = new Ajv({strict: false, allErrors: true, unicodeRegExp: false, logger: false})
  ajv.addFormat('uri', (s: string) => /^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) && URL.canParse(s))
  ajv.addFormat('uri-reference', (s: string) => !/\s/.test(s) && URL.canParse(s, 'file:///base/'))
  ajv.addFormat('date-time', (s: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s))
  return ajv.compile(schema)
}
