import test from 'ava'
import {baseImageCheck, healthcheckCheck, imageAgeCheck, requiredLabelsCheck, volumesCheck} from '../../../src/checks/config/metadata.js'
import {ctx} from './helpers.js'

test('missing and empty required labels are reported, present ones pass', (t) => {
  const requirements = {labels: {required: ['owner', 'sensitivity', 'team']}}
  const f = requiredLabelsCheck.run(ctx({Labels: {owner: 'payments', sensitivity: ' '}}, {requirements}))
  t.deepEqual(f.map((x) => x.evidence), ['label sensitivity is empty', 'no label team'])
  t.true(f.every((x) => x.rule === 'single-owner' && x.severity === 'high'))
  t.deepEqual(requiredLabelsCheck.run(ctx({Labels: {owner: 'a', sensitivity: 'b', team: 'c'}}, {requirements})), [])
  t.is(requiredLabelsCheck.run(ctx({Labels: null}, {requirements})).length, 3)
})

test('an image older than maxAgeDays is reported; a younger one passes', (t) => {
  const requirements = {maxAgeDays: 30}
  const old = imageAgeCheck.run(ctx({}, {requirements, created: '2026-04-01T00:00:00Z'}))
  t.is(old.length, 1)
  t.is(old[0]?.id, 'config.age.too-old')
  t.regex(old[0]?.evidence ?? '', /61 days ago; allowed 30/)
  t.deepEqual(imageAgeCheck.run(ctx({}, {requirements, created: '2026-05-20T12:00:00Z'})), [])
  t.deepEqual(imageAgeCheck.run(ctx({}, {created: '2000-01-01T00:00:00Z'})), [], 'no maxAgeDays, no finding')
})

test('missing, invalid, epoch and future creation dates make the age unknown', (t) => {
  const requirements = {maxAgeDays: 30}
  for (const created of [undefined, 'yesterday', '1970-01-01T00:00:00Z', '2030-01-01T00:00:00Z']) {
    const f = imageAgeCheck.run(ctx({}, {requirements, created}))
    t.is(f[0]?.id, 'config.age.unknown', String(created))
  }
})

test('VOLUME on /proc, /sys, /dev or below is reported; ordinary volumes pass', (t) => {
  const Volumes = {'/proc': {}, '/sys/fs/cgroup/': {}, '/dev': {}, '/data': {}, '/devices': {}}
  const f = volumesCheck.run(ctx({Volumes}))
  t.deepEqual(f.map((x) => x.path).sort(), ['/dev', '/proc', '/sys/fs/cgroup'])
  t.true(f.every((x) => x.id === 'config.volume.system-path'))
  t.deepEqual(volumesCheck.run(ctx({Volumes: {'/var/lib/postgresql/data': {}}})), [])
})

test('VOLUME on the docker socket is a daemon-tls finding', (t) => {
  const f = volumesCheck.run(ctx({Volumes: {'/var/run/docker.sock': {}}}))
  t.is(f[0]?.id, 'config.volume.docker-socket')
  t.is(f[0]?.rule, 'daemon-tls')
})

test('no HEALTHCHECK or HEALTHCHECK NONE is an info finding; a real one passes', (t) => {
  t.is(healthcheckCheck.run(ctx({}))[0]?.severity, 'info')
  t.regex(healthcheckCheck.run(ctx({Healthcheck: {Test: ['NONE']}}))[0]?.evidence ?? '', /NONE/)
  t.deepEqual(healthcheckCheck.run(ctx({Healthcheck: {Test: ['CMD', 'curl', '-f', 'http://localhost/']}})), [])
})

test('base image from the OCI label is matched against the allow globs', (t) => {
  const requirements = {baseImages: {allow: ['docker.io/library/*', 'registry.example.com/base/**']}}
  const label = (v: string) => ({Labels: {'org.opencontainers.image.base.name': v}})
  t.deepEqual(baseImageCheck.run(ctx(label('debian:12'), {requirements})), [], 'normalised to docker.io/library/debian')
  t.deepEqual(baseImageCheck.run(ctx(label('registry.example.com/base/jre/21@sha256:' + 'a'.repeat(64)), {requirements})), [])
  const f = baseImageCheck.run(ctx(label('ghcr.io/someone/base:1'), {requirements}))
  t.is(f[0]?.id, 'config.base.not-allowed')
  t.is(baseImageCheck.run(ctx(label('NOT A REF'), {requirements}))[0]?.id, 'config.base.not-allowed')
})

test('base image: annotation is used when the label is absent; unknown when neither', (t) => {
  const requirements = {baseImages: {allow: ['docker.io/library/*']}}
  t.deepEqual(baseImageCheck.run(ctx({}, {requirements, annotations: {'org.opencontainers.image.base.name': 'docker.io/library/alpine:3'}})), [])
  t.is(baseImageCheck.run(ctx({}, {requirements}))[0]?.id, 'config.base.unknown')
  t.deepEqual(baseImageCheck.run(ctx({})), [], 'no policy, no finding')
})
