import test from 'ava'
import {setuidCheck, sudoCheck, worldWritableCheck} from '../../../src/checks/config/filesystem.js'
import {ctx, entry, view} from './helpers.js'

test('setuid and setgid files are reported with their layer', (t) => {
  const v = view([entry('/usr/bin/passwd', 'file', 0o4755, 2), entry('/usr/bin/wall', 'file', 0o2755), entry('/usr/bin/ls', 'file', 0o755)])
  const f = setuidCheck.run(ctx({}, {view: v}))
  t.deepEqual(f.map((x) => x.path), ['/usr/bin/passwd', '/usr/bin/wall'])
  t.is(f[0]?.layer?.index, 2)
  t.regex(f[0]?.title ?? '', /setuid/)
  t.regex(f[1]?.title ?? '', /setgid/)
})

test('setgid on a directory is not a setuid finding; plain files pass', (t) => {
  const v = view([entry('/var/mail', 'directory', 0o2775), entry('/bin/sh', 'file', 0o755)])
  t.deepEqual(setuidCheck.run(ctx({}, {view: v})), [])
})

test('world-writable files and directories outside /tmp are reported', (t) => {
  const v = view([
    entry('/app/config.json', 'file', 0o666),
    entry('/srv/data', 'directory', 0o777),
    entry('/etc/hosts', 'file', 0o644),
  ])
  const f = worldWritableCheck.run(ctx({}, {view: v}))
  t.deepEqual(f.map((x) => x.path), ['/app/config.json', '/srv/data'])
  t.true(f.every((x) => x.id === 'config.fs.world-writable' && x.rule === 'minimal-host'))
})

test('world-writable: /tmp, /var/tmp, symlinks and sticky directories are ignored', (t) => {
  const v = view([
    entry('/tmp', 'directory', 0o1777),
    entry('/tmp/x', 'file', 0o666),
    entry('/var/tmp/cache', 'directory', 0o777),
    entry('/usr/bin/python', 'symlink', 0o777),
    entry('/run/lock', 'directory', 0o1777),
    entry('/tmpfoo', 'file', 0o666),
  ])
  t.deepEqual(worldWritableCheck.run(ctx({}, {view: v})).map((x) => x.path), ['/tmpfoo'])
})

test('sudo binary or sudoers is reported once', (t) => {
  const v = view([entry('/usr/bin/sudo', 'file', 0o4755), entry('/etc/sudoers', 'file', 0o440)], {'/etc/sudoers': 'root ALL=(ALL:ALL) ALL\n'})
  const f = sudoCheck.run(ctx({}, {view: v}))
  t.is(f.length, 1)
  t.is(f[0]?.severity, 'medium')
  t.regex(f[0]?.evidence ?? '', /\/etc\/sudoers, \/usr\/bin\/sudo/)
})

test('a NOPASSWD sudoers rule raises sudo to high; a commented one does not', (t) => {
  const file = (s: string) => view([entry('/etc/sudoers', 'file', 0o440)], {'/etc/sudoers': s})
  t.is(sudoCheck.run(ctx({}, {view: file('app ALL=(ALL) NOPASSWD: ALL\n')}))[0]?.severity, 'high')
  t.is(sudoCheck.run(ctx({}, {view: file('# app ALL=(ALL) NOPASSWD: ALL\n')}))[0]?.severity, 'medium')
})

test('no sudo, no finding', (t) => {
  t.deepEqual(sudoCheck.run(ctx({}, {view: view([entry('/usr/bin/su', 'file', 0o4755), entry('/etc/sudoers.d', 'directory', 0o755)])})), [])
})
