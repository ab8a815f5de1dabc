import test from 'ava'
import {isImgvetError} from '../../src/errors.js'
import {formatsFor, renderAs, type ReportKind} from '../../src/report/render.js'
import {summarise, type Report} from '../../src/report/types.js'

const report: Report = {
  kind: 'vet', tool: {name: 'imgvet', version: '0.0.0'}, image: {reference: 'r.example/a:1', digest: '', platform: 'linux/amd64'},
  findings: [], summary: summarise([]), verdict: 'pass', policy: {name: 'p', scope: '**'}, reasons: [], notes: [],
}

test('each command offers the formats the one list has a renderer for', (t) => {
  const offered = Object.fromEntries((['scan', 'vet', 'registry', 'dockerfile', 'compose', 'host', 'rebuild'] as ReportKind[])
    .map((k) => [k, formatsFor(k)]))
  t.deepEqual(offered, {
    scan: ['text', 'json', 'sarif', 'junit', 'gitlab'],
    vet: ['text', 'json', 'sarif', 'junit', 'gitlab'],
    registry: ['json', 'sarif', 'html'],
    dockerfile: ['text', 'json', 'sarif', 'junit'],
    compose: ['text', 'json', 'sarif', 'junit'],
    host: ['text', 'json'],
    rebuild: ['text', 'json', 'sarif'],
  })
  t.deepEqual(formatsFor('scan', 'registry'), ['json', 'sarif'], 'a shared flag offers what every kind renders')
})

test('a format a kind cannot render is a usage error (exit 2), not a crash or a silent fallback', (t) => {
  for (const [kind, format] of [['vet', 'html'], ['scan', 'nope'], ['dockerfile', 'gitlab']] as const) {
    const e = t.throws(() => renderAs(kind, format, report))
    t.true(isImgvetError(e), String(e))
    if (isImgvetError(e)) {
      t.is(e.exitCode, 2)
      t.regex(e.message, new RegExp(`--format ${format} is not available here; choose one of `))
    }
  }
  t.regex(renderAs('vet', 'json', report), /"schemaVersion": 1/)
  t.regex(renderAs('dockerfile', 'junit', report), /^<\?xml/)
})
