import test from 'ava'
import {IMAGE_CHECKS, runImageChecks} from '../../../src/checks/config/index.js'
import {ctx, entry, view} from './helpers.js'

test('image check ids are unique, and so are the finding ids they emit', (t) => {
  const ids = IMAGE_CHECKS.map((c) => c.id)
  t.is(new Set(ids).size, ids.length)
  const findingIds = IMAGE_CHECKS.flatMap((c) => c.findingIds)
  t.is(new Set(findingIds).size, findingIds.length)
  t.true(findingIds.every((id) => id.startsWith('config.')))
})

test('every emitted finding id is declared by the check that emitted it', (t) => {
  const v = view([entry('/usr/bin/sudo', 'file', 0o4755), entry('/srv', 'directory', 0o777)], {'/etc/passwd': ''})
  const c = ctx(
    {User: 'ghost:nogroup', ExposedPorts: {'22/tcp': {}}, Volumes: {'/proc': {}, '/var/run/docker.sock': {}}, Labels: {'org.opencontainers.image.base.name': 'x.io/y'}},
    {view: v, created: '2000-01-01T00:00:00Z', requirements: {ports: {allow: []}, labels: {required: ['owner']}, maxAgeDays: 1, baseImages: {allow: ['docker.io/**']}, user: {nonRoot: true, allowedUids: [5]}}},
  )
  for (const check of IMAGE_CHECKS) {
    for (const f of check.run(c)) t.true(check.findingIds.includes(f.id), `${check.id} emitted ${f.id}`)
  }
  const all = runImageChecks(c)
  t.true(all.length >= 10)
  t.true(all.every((f) => f.category === 'config' && /^[a-f0-9]{32}$/.test(f.fingerprint)))
})

test('a clean image that satisfies its policy yields no findings', (t) => {
  const c = ctx(
    {User: '1000:1000', ExposedPorts: {'8080/tcp': {}}, Labels: {owner: 'team-a'}, Healthcheck: {Test: ['CMD', 'true']}},
    {created: '2026-05-30T00:00:00Z', requirements: {user: {nonRoot: true}, ports: {allow: ['8080/tcp']}, labels: {required: ['owner']}, maxAgeDays: 7}},
  )
  t.deepEqual(runImageChecks(c), [])
})
