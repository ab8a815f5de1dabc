import {readFile} from 'node:fs/promises'
import {ImgvetError} from '../errors.js'
import {keyPath, lineOf, parseYaml} from '../policy/lines.js'
import {PolicyError, schemaIssues} from '../policy/load.js'
import {allowFileValidator} from '../policy/validators.js'
import type {AllowEntry, Policy} from '../policy/types.js'

const MAX_ALLOW_BYTES = 1024 * 1024

/**
 * `scan|vet --allow FILE`: the same entries a policy scope's `allow:` holds, in a file of their own
 * (`allow: [{id|path|fingerprint|package, reason, expires}]`), checked by the same schema: every entry needs a
 * reason and an expiry that is a real date, and a misspelt key gets the policy validator's "did you mean".
 * Every problem names `file:line`.
 */
export async function loadAllowFile(file: string): Promise<AllowEntry[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    throw new ImgvetError('bad-input', `cannot read allow file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, file)
  }
  if (Buffer.byteLength(text) > MAX_ALLOW_BYTES) throw new ImgvetError('bad-policy', `allow file larger than ${MAX_ALLOW_BYTES} bytes`, file)
  const parsed = parseYaml(text, file)
  if (parsed.issues.length > 0) throw new PolicyError(parsed.issues)
  if (typeof parsed.data !== 'object' || parsed.data === null || Array.isArray(parsed.data)) {
    throw new PolicyError([{file, line: 1, key: '(root)', message: 'expected a mapping with a top-level "allow:" list'}])
  }
  // A misspelt key says more than the "is required" it causes, so on one line it comes first.
  const required = (i: {message: string}) => (i.message === 'is required' ? 1 : 0)
  const issues = schemaIssues(parsed, file, allowFileValidator()).sort((a, b) => a.line - b.line || required(a) - required(b))
  if (issues.length > 0) throw new PolicyError(issues)
  // Safe: the schema has just accepted this shape.
  const list = (parsed.data as {allow: AllowEntry[]}).allow
  return list.map((e, i) => {
    const line = lineOf(parsed, ['allow', i])
    if (e.id === undefined && e.path === undefined && e.fingerprint === undefined && e.package === undefined) {
      throw new PolicyError([{file, line, key: keyPath(['allow', i]),
        message: 'needs at least one of path, id, fingerprint or package (an entry matching everything would hide every finding)'}])
    }
    return {...e, file, line}
  })
}

/**
 * `vet --allow FILE`: the file's entries join every scope's own, so whichever scope judges the image honours them;
 * each keeps its file and line for the notices about it.
 */
export function withAllowFile(policy: Policy, entries: readonly AllowEntry[]): Policy {
  if (entries.length === 0) return policy
  return {...policy, scopes: policy.scopes.map((s) => ({...s, allow: [...(s.allow ?? []), ...entries]}))}
}
