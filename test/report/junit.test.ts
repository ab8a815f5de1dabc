import test from 'ava'
import {junitClassname, renderJunit} from '../../src/report/junit.js'
import {summarise, type Report} from '../../src/report/types.js'

test('classnames keep no registry or tag dots: the only dot left splits image from category', (t) => {
  t.is(junitClassname('registry.example.com:5000/team/app:1.2.3'), 'registry_example_com:5000/team/app:1_2_3')
  t.is(junitClassname('registry.example.com/team/app:1.2', 'secret'), 'registry_example_com/team/app:1_2.secret')
  t.is(junitClassname('r/a:"<x>"'), 'r/a:&quot;&lt;x&gt;&quot;')
})

test('a suppressed finding is a skipped testcase carrying the allowlist reason, counted as skipped', (t) => {
  const f = {
    id: 'private-key.rsa', severity: 'high' as const, category: 'private-key' as const, title: 'Private key (rsa)',
    rule: 'no-credentials' as const, path: '/k', layer: null, removedIn: null, evidence: '-----BEGIN…', fingerprint: 'a'.repeat(32),
  }
  const r: Report = {
    kind: 'scan', tool: {name: 'imgvet', version: '0'}, image: {reference: 'r.example/a:1.0', digest: '', platform: ''},
    findings: [], suppressed: [{...f, note: 'allowlisted until 2030-01-01: rotated'}], summary: summarise([]),
  }
  const xml = renderJunit(r)
  t.regex(xml, /<testcase classname="r_example\/a:1_0\.private-key" name="private-key\.rsa \/k"><skipped message="allowlisted until 2030-01-01: rotated"\/><\/testcase>/)
  t.regex(xml, /<testsuite name="r\.example\/a:1\.0" tests="2" failures="0" errors="0" skipped="1">/)
})
