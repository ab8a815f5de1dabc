import test from 'ava'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {formatsFor, type ReportKind} from '../../src/report/render.js'
import {runCli, tempDir} from '../support/cli.js'
import {assertBuilt} from './helpers.js'

test.before(assertBuilt)

/** A format each command cannot render, and the rest of a command line that would otherwise start work. */
const CASES: Array<[ReportKind, string[], string]> = [
  ['vet', ['vet', 'oci:examples/clean'], 'html'],
  ['scan', ['scan', 'oci:examples/clean'], 'html'],
  ['registry', ['registry', 'scan', '127.0.0.1:9'], 'junit'],
  ['registry', ['registry', 'merge', 'missing.json'], 'text'],
  ['dockerfile', ['dockerfile', 'check', 'Dockerfile'], 'gitlab'],
  ['compose', ['compose', 'check', 'compose.yaml', '--no-images'], 'html'],
  ['host', ['host', 'audit', '--root', '/nonexistent'], 'sarif'],
  ['rebuild', ['rebuild', '--context', '.', '--tag', 'r.example/a:1'], 'junit'],
]

for (const [kind, args, format] of CASES) {
  test(`${args.slice(0, 2).join(' ')} --format ${format}: refused at parse time, exit 2, before any work`, async (t) => {
    const out = join(tempDir(t, 'imgvet-e2e-formats'), 'report')
    const r = await runCli([...args, '--format', format, '-o', out], {timeoutMs: 30_000})
    t.is(r.code, 2, r.stderr)
    t.is(r.stdout, '')
    const lines = r.stderr.trim().split('\n')
    t.is(lines.length, 1, r.stderr)
    t.true(lines[0]?.includes(`Expected --format=${format} to be one of: ${formatsFor(kind).join(', ')}`), lines[0])
    t.false(existsSync(out), 'no report written')
  })
}

test('--help lists each command\'s formats from the one list', async (t) => {
  const [host, registry] = await Promise.all([runCli(['host', 'audit', '--help']), runCli(['registry', 'scan', '--help'])])
  t.regex(host.stdout, /--format=<option>\s+\[default: text\] text: .*json:/s)
  t.regex(registry.stdout.replace(/\s+/g, ' '), /json\|sarif\|html/)
  t.regex(registry.stdout.replace(/\s+/g, ' '), /html: one self-contained page/)
})
