import test from 'ava'
import {detectInText} from '../../src/checks/secrets/index.js'

/**
 * Layer content is hostile: a rule whose regex backtracks on a long line stalls the whole scan. Each input repeats
 * what one family looks for, in a single line of a few hundred KiB; a linear rule takes milliseconds. The bound is
 * loose because the machine is shared; a quadratic rule takes minutes.
 */
const INPUTS: Record<string, string> = {
  'long identifier of secret-ish names': 'snyk_token_abc_def-'.repeat(5000),
  'curl said on every word of a line': 'curl -X '.repeat(20000),
  'many JWT-like fragments': 'eyJhbGciOiJI.eyJhbGciOiJI.'.repeat(20000),
  'Kubernetes Secret with a huge data block': `apiVersion: v1\nkind: Secret\ndata:\n${'  a: b c d e f g h\n'.repeat(5000)}x`,
  'one 300 KB word': `var a=${'x'.repeat(300_000)};`,
  'base64 with ACR and Q~ markers': `${'A'.repeat(200_000)}+ACR${'Q~'.repeat(10_000)}`,
  'provider names and separators': `cloudflare=${'a'.repeat(100)}${' DD_API_KEY:'.repeat(10_000)}`,
  'Vault-like dots after a token name': `token ${'s.'.repeat(50_000)}`,
}

for (const [name, text] of Object.entries(INPUTS)) {
  test(`linear time on adversarial input: ${name}`, (t) => {
    const t0 = performance.now()
    detectInText(text, '/srv/app/x.yaml')
    const ms = performance.now() - t0
    t.true(ms < 5000, `${ms.toFixed(0)} ms`)
  })
}
