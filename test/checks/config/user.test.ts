import test from 'ava'
import {allowedUidCheck, rootUserCheck, unknownUserCheck} from '../../../src/checks/config/user.js'
import {ctx, GROUP, view} from './helpers.js'

const strict = {user: {nonRoot: true}}

for (const user of [undefined, '', '0', '0:0', 'root', 'root:root', '0:somegroup', ' 0 ', ':1000']) {
  test(`USER ${JSON.stringify(user)} is root`, (t) => {
    const f = rootUserCheck.run(ctx({User: user}, {requirements: strict}))
    t.is(f.length, 1)
    t.is(f[0]?.id, 'config.user.root')
    t.is(f[0]?.severity, 'high')
    t.is(f[0]?.rule, 'non-root')
  })
}

test('a name that /etc/passwd maps to uid 0 is root', (t) => {
  const v = view([], {'/etc/passwd': 'root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\n'})
  const f = rootUserCheck.run(ctx({User: 'toor'}, {view: v, requirements: strict}))
  t.is(f.length, 1)
  t.regex(f[0]?.evidence ?? '', /toor.*uid 0/)
})

for (const user of ['1000', '1000:1000', 'app', 'app:app', '65534', 'nobody']) {
  test(`USER ${user} is not root`, (t) => {
    t.deepEqual(rootUserCheck.run(ctx({User: user}, {requirements: strict})), [])
    t.deepEqual(unknownUserCheck.run(ctx({User: user})), [])
  })
}

test('root is reported at low severity when the policy does not require non-root', (t) => {
  const f = rootUserCheck.run(ctx({User: '0'}))
  t.is(f[0]?.severity, 'low')
  t.truthy(f[0]?.note)
})

test('different USER values give different fingerprints, the same value the same', (t) => {
  const a = rootUserCheck.run(ctx({User: '0'}))[0]?.fingerprint
  const b = rootUserCheck.run(ctx({User: 'root'}))[0]?.fingerprint
  t.not(a, b)
  t.is(a, rootUserCheck.run(ctx({User: '0'}))[0]?.fingerprint)
})

test('a user name missing from /etc/passwd is reported', (t) => {
  const f = unknownUserCheck.run(ctx({User: 'ghost'}))
  t.is(f.length, 1)
  t.is(f[0]?.id, 'config.user.unknown')
  t.is(f[0]?.path, '/etc/passwd')
  t.regex(f[0]?.evidence ?? '', /ghost/)
  t.deepEqual(rootUserCheck.run(ctx({User: 'ghost'}, {requirements: strict})), [], 'an unknown name is not claimed to be root')
})

test('a name in an image without /etc/passwd is reported; a numeric uid needs no entry', (t) => {
  const none = view([], {})
  const f = unknownUserCheck.run(ctx({User: 'app'}, {view: none}))
  t.is(f.length, 1)
  t.regex(f[0]?.evidence ?? '', /no \/etc\/passwd/)
  t.deepEqual(unknownUserCheck.run(ctx({User: '1000:1000'}, {view: none})), [])
  t.deepEqual(rootUserCheck.run(ctx({User: '1000'}, {view: none, requirements: strict})), [])
})

test('a group name missing from /etc/group is reported', (t) => {
  const f = unknownUserCheck.run(ctx({User: 'app:wheel'}))
  t.is(f.length, 1)
  t.regex(f[0]?.evidence ?? '', /group "wheel"/)
  t.deepEqual(unknownUserCheck.run(ctx({User: 'app:app'}, {view: view([], {'/etc/passwd': 'app:x:1000:1000::/:/bin/sh', '/etc/group': GROUP})})), [])
})

test('malformed passwd lines are skipped, not fatal', (t) => {
  const v = view([], {'/etc/passwd': 'garbage\n::\napp:x:notanumber:1\n# comment\nsvc:x:1001:1001::/:/bin/sh\n'})
  t.is(unknownUserCheck.run(ctx({User: 'app'}, {view: v})).length, 1)
  t.deepEqual(unknownUserCheck.run(ctx({User: 'svc'}, {view: v})), [])
})

test('allowedUids: a uid outside the list fails, inside passes, names resolve through passwd', (t) => {
  const requirements = {user: {nonRoot: true, allowedUids: [1000]}}
  t.deepEqual(allowedUidCheck.run(ctx({User: '1000'}, {requirements})), [])
  t.deepEqual(allowedUidCheck.run(ctx({User: 'app'}, {requirements})), [])
  const f = allowedUidCheck.run(ctx({User: 'nobody'}, {requirements}))
  t.is(f.length, 1)
  t.regex(f[0]?.evidence ?? '', /uid 65534/)
  t.deepEqual(allowedUidCheck.run(ctx({User: '1234'})), [], 'no list, no finding')
})
