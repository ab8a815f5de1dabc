import test from 'ava'
import {Ajv} from 'ajv'
import {assertBuilt, imgvet, parseJson, SECRETS, type VetJson} from './helpers.js'
import {runCli} from '../support/cli.js'

/**
 * What GitLab's secret-detection report schema 15.x requires of a report (security-report-schemas, dist/
 * secret-detection-report-format.json): the official schema is not on npm and this machine has no other way to
 * fetch it, so the constraints it documents are restated here; GitLab rejects a report that misses any of them.
 */
const REQUIRED_15 = {
  type: 'object',
  required: ['version', 'scan', 'vulnerabilities'],
  properties: {
    version: {type: 'string', pattern: '^15\\.\\d+\\.\\d+$'},
    scan: {
      type: 'object',
      required: ['analyzer', 'scanner', 'type', 'start_time', 'end_time', 'status'],
      properties: {
        analyzer: {$ref: '#/$defs/component'},
        scanner: {$ref: '#/$defs/component'},
        type: {const: 'secret_detection'},
        start_time: {type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}$'},
        end_time: {type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}$'},
        status: {enum: ['success', 'failure']},
        messages: {type: 'array', items: {type: 'object', required: ['level', 'value'], properties: {level: {enum: ['info', 'warn', 'fatal']}}}},
      },
    },
    vulnerabilities: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'identifiers', 'location'],
        properties: {
          id: {type: 'string', minLength: 1},
          name: {type: 'string', maxLength: 255},
          severity: {enum: ['Info', 'Unknown', 'Low', 'Medium', 'High', 'Critical']},
          identifiers: {type: 'array', minItems: 1, items: {type: 'object', required: ['type', 'name', 'value'], properties: {type: {type: 'string', minLength: 1}, name: {type: 'string', minLength: 1}, value: {type: 'string', minLength: 1}}}},
          location: {type: 'object', required: ['commit'], properties: {file: {type: 'string', minLength: 1}, start_line: {type: 'integer', minimum: 1}, commit: {type: 'object', required: ['sha'], properties: {sha: {type: 'string', minLength: 1}}}}},
        },
      },
    },
  },
  $defs: {
    component: {type: 'object', required: ['id', 'name', 'version', 'vendor'], properties: {id: {type: 'string', minLength: 1}, name: {type: 'string', minLength: 1}, vendor: {type: 'object', required: ['name']}}},
  },
}

interface GitlabReport {
  version: string
  scan: {type: string; messages: Array<{level: string; value: string}>}
  vulnerabilities: Array<{id: string; severity: string; identifiers: Array<{value: string}>; location: {file: string; start_line?: number; commit: {sha: string}}}>
}

const validate = new Ajv({allErrors: true}).compile(REQUIRED_15)

test.before(assertBuilt)

test('vet --format gitlab: a secret-detection report GitLab 15.x accepts, one vulnerability per finding, ids stable', async (t) => {
  const [gl, again, json] = await Promise.all([
    imgvet(t, ['vet', SECRETS, '--format', 'gitlab', '--no-cache']),
    imgvet(t, ['vet', SECRETS, '--format', 'gitlab']),
    imgvet(t, ['vet', SECRETS, '--format', 'json', '--no-cache']),
  ])
  t.is(gl.code, 1, gl.stderr)
  const report = parseJson<GitlabReport>(gl)
  t.true(validate(report), JSON.stringify(validate.errors))
  const findings = parseJson<VetJson>(json).findings
  t.true(findings.length > 5)
  t.is(report.vulnerabilities.length, findings.length)
  t.deepEqual(report.vulnerabilities.map((v) => v.identifiers[0]?.value).sort(), findings.map((f) => f.id).sort())
  t.is(new Set(report.vulnerabilities.map((v) => v.id)).size, findings.length, 'ids are unique')
  t.deepEqual(parseJson<GitlabReport>(again).vulnerabilities.map((v) => v.id).sort(), report.vulnerabilities.map((v) => v.id).sort(), 'same ids on the next run')
  t.is(report.version, '15.0.6')
  t.regex(report.scan.messages[0]?.value ?? '', /verdict .* fail$/)
  const digest = parseJson<VetJson>(json).image.digest
  t.true(report.vulnerabilities.every((v) => v.location.commit.sha === digest.slice(7)), 'outside CI the image digest stands in for the commit')
  const withLine = report.vulnerabilities.find((v) => v.location.start_line !== undefined)
  t.truthy(withLine)
  t.false(report.vulnerabilities.some((v) => v.location.file.includes(':')), 'pseudo-paths, no scheme-like colon')
})

test('vet --format gitlab in a pipeline: CI_COMMIT_SHA is the commit, --gitlab-schema the version; a non-15 version is a usage error', async (t) => {
  const r = await runCli(['vet', SECRETS, '--format', 'gitlab', '--no-cache', '--gitlab-schema', '15.2.1'], {env: {CI_COMMIT_SHA: 'f00dfacecafe'}, timeoutMs: 30_000})
  t.is(r.code, 1, r.stderr)
  const report = JSON.parse(r.stdout) as GitlabReport
  t.is(report.version, '15.2.1')
  t.true(report.vulnerabilities.every((v) => v.location.commit.sha === 'f00dfacecafe'))
  const bad = await runCli(['vet', SECRETS, '--format', 'gitlab', '--gitlab-schema', '14.0.6'], {timeoutMs: 30_000})
  t.is(bad.code, 2)
  t.regex(bad.stderr, /^imgvet: usage: --gitlab-schema must be a 15\.x\.y version/)
})
