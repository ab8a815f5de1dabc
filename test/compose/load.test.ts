import test from 'ava'
import {join} from 'node:path'
import {loadProject} from '../../src/compose/load.js'
import {parsePorts, parseMounts} from '../../src/compose/normalize.js'
import {plain, text} from '../../src/compose/tree.js'
import {isImgvetError} from '../../src/errors.js'
import {load, project} from './helpers.js'

const svc = (p: ReturnType<typeof load>, name: string) => {
  const s = p.services.find((x) => x.name === name)
  if (!s) throw new Error(`no service ${name}`)
  return s
}

test('lines of keys and list items are kept; no version: key is needed', (t) => {
  const p = load({
    'compose.yaml':
      'services:\n  web:\n    image: nginx:1.27\n    ports:\n      - "80:80"\n      - target: 443\n        published: 443\n',
  })
  const web = svc(p, 'web')
  t.deepEqual(web.loc, {file: 'compose.yaml', line: 2})
  t.deepEqual(web.node.at('image'), {file: 'compose.yaml', line: 3})
  t.deepEqual(
    parsePorts(web.node.get('ports'), 'web').map((x) => x.loc.line),
    [5, 6],
  )
})

test('-f overrides merge: scalars replaced, maps by key, ports appended, volumes by target, command replaced', (t) => {
  const p = load(
    {
      'compose.yaml':
        'services:\n  app:\n    image: app:1\n    environment: [A=1, B=2]\n    ports: ["80:80"]\n    volumes: ["./a:/data", "/x:/x"]\n    command: [run, base]\n',
      'override.yaml':
        'services:\n  app:\n    image: app:2\n    environment: {B: "3", C: "4"}\n    ports: ["127.0.0.1:9000:9000"]\n    volumes: ["./b:/data"]\n    command: [run, over]\n  extra:\n    image: redis:7\n',
    },
    ['compose.yaml', 'override.yaml'],
  )
  const app = svc(p, 'app')
  t.is(text(app.node.get('image')), 'app:2')
  t.deepEqual(Object.fromEntries([...app.environment].map(([k, v]) => [k, v.value])), {A: '1', B: '3', C: '4'})
  t.deepEqual(app.environment.get('B')?.loc, {file: 'override.yaml', line: 4}, 'the override line is the one reported')
  t.deepEqual(
    parsePorts(app.node.get('ports'), 'app').map((x) => x.text),
    ['80:80', '127.0.0.1:9000:9000'],
  )
  const mounts = parseMounts(app.node.get('volumes'), undefined, 'app')
  t.deepEqual(mounts.map((m) => m.target).sort(), ['/data', '/x'])
  t.true(
    mounts.find((m) => m.target === '/data')?.source.endsWith('/b'),
    'relative paths resolve against the project directory',
  )
  t.deepEqual(plain(app.node.get('command')), ['run', 'over'])
  t.deepEqual(
    p.services.map((s) => s.name),
    ['app', 'extra'],
  )
})

test('extends (same file and file:) and include merge services; env_file under environment', (t) => {
  const p = load({
    'compose.yaml': [
      'include: [lib/cache.yaml]',
      'services:',
      '  base:',
      '    image: app:1',
      '    cap_add: [NET_ADMIN]',
      '    env_file: [app.env]',
      '    environment: {FROM_ENV: file-wins-not}',
      '  child:',
      '    extends: base',
      '    user: "1000"',
      '  remote:',
      '    extends: {file: common/base.yaml, service: hardened}',
      '',
    ].join('\n'),
    'app.env': 'FROM_ENV=env-file\nONLY_FILE=1\n',
    'lib/cache.yaml': 'services:\n  cache:\n    image: redis:${REDIS_TAG:-7}\n    env_file: cache.env\n',
    'lib/cache.env': 'X=1\n',
    'common/base.yaml': 'services:\n  hardened:\n    image: base:2\n    read_only: true\n',
  })
  t.deepEqual(p.services.map((s) => s.name).sort(), ['base', 'cache', 'child', 'remote'])
  const child = svc(p, 'child')
  t.is(text(child.node.get('image')), 'app:1')
  t.is(text(child.node.get('user')), '1000')
  t.deepEqual(plain(child.node.get('cap_add')), ['NET_ADMIN'])
  t.is(child.environment.get('FROM_ENV')?.value, 'file-wins-not', 'environment wins over env_file')
  t.deepEqual(
    child.environment.get('ONLY_FILE')?.loc,
    {file: 'app.env', line: 2},
    'env_file values point at the env file',
  )
  t.is(text(svc(p, 'remote').node.get('image')), 'base:2')
  t.true(plain(svc(p, 'remote').node.get('read_only')) === true)
  const cache = svc(p, 'cache')
  t.is(text(cache.node.get('image')), 'redis:7')
  t.deepEqual(
    cache.environment.get('X')?.loc,
    {file: join('lib', 'cache.env'), line: 1},
    "an included file's paths are relative to it",
  )
})

test('interpolation reads the process env over .env beside the first file, or --env-file', (t) => {
  const files = {
    'compose.yaml': 'services:\n  a:\n    image: "app:${TAG}"\n',
    '.env': 'TAG=from-dotenv\n',
    'other.env': 'TAG=from-flag\n',
  }
  t.is(text(svc(load(files), 'a').node.get('image')), 'app:from-dotenv')
  t.is(text(svc(load(files, undefined, {env: {TAG: 'from-shell'}}), 'a').node.get('image')), 'app:from-shell')
  t.is(text(svc(load(files, undefined, {envFile: 'other.env'}), 'a').node.get('image')), 'app:from-flag')
  const unset = svc(load({'compose.yaml': files['compose.yaml']}), 'a').node.get('image')
  t.is(text(unset), 'app:')
  t.deepEqual((unset as {unset: string[]}).unset, ['TAG'])
})

test('all profiles by default; --profile keeps services without profiles and those with it', (t) => {
  const files = {
    'compose.yaml':
      'services:\n  a: {image: a:1}\n  dbg: {image: b:1, profiles: [debug]}\n  ops: {image: c:1, profiles: [ops]}\n',
  }
  t.deepEqual(
    load(files).services.map((s) => s.name),
    ['a', 'dbg', 'ops'],
  )
  const narrowed = load(files, undefined, {profiles: ['debug']})
  t.deepEqual(
    narrowed.services.map((s) => s.name),
    ['a', 'dbg'],
  )
  t.deepEqual(narrowed.skipped, ['ops'])
})

test('YAML merge keys (<<: *anchor) apply, explicit keys win', (t) => {
  const p = load({
    'compose.yaml':
      'x-base: &base\n  image: app:1\n  privileged: true\nservices:\n  a:\n    <<: *base\n    image: app:2\n',
  })
  t.is(text(svc(p, 'a').node.get('image')), 'app:2')
  t.is(plain(svc(p, 'a').node.get('privileged')), true)
})

const malformed: Array<[string, string, RegExp]> = [
  ['bad indentation', 'services:\n  web:\n    image: a\n   ports: [1]\n', /^compose\.yaml:4: /],
  ['duplicate key', 'services:\n  web:\n    image: a\n    image: b\n', /^compose\.yaml:4: .*unique/i],
  ['unclosed flow', 'services:\n  web: {image: a\n', /^compose\.yaml:\d+: /],
  ['not a mapping', '- a\n- b\n', /^compose\.yaml:1: a compose file must be a mapping$/],
  ['service not a mapping', 'services:\n  web: nginx\n', /^compose\.yaml:2: service "web" must be a mapping$/],
  [
    'required variable',
    'services:\n  web:\n    image: "a:${TAG:?set TAG}"\n',
    /^compose\.yaml:3: required variable TAG is missing a value: set TAG$/,
  ],
  ['extends cycle', 'services:\n  a: {extends: b}\n  b: {extends: a}\n', /^compose\.yaml:\d+: extends cycle/],
  [
    'missing env_file',
    'services:\n  a:\n    image: x:1\n    env_file: nope.env\n',
    /^compose\.yaml:4: env_file nope\.env does not exist$/,
  ],
]
for (const [name, yaml, want] of malformed) {
  test(`malformed (${name}) is bad-input with file:line`, (t) => {
    const e = t.throws(() => load({'compose.yaml': yaml}))
    t.true(isImgvetError(e), String(e))
    t.regex(e?.message ?? '', want)
    t.false((e?.message ?? '').includes('\n'), 'one line')
  })
}

test('a missing compose file is bad-input naming it', (t) => {
  const dir = project({})
  const e = t.throws(() => loadProject(['nope.yaml'], {cwd: dir, env: {}}))
  t.is(e?.message, 'nope.yaml: cannot read (ENOENT)')
})

test('!reset drops an inherited value and !override replaces it instead of merging', (t) => {
  const p = load(
    {
      'compose.yaml':
        'services:\n  app:\n    image: app:1\n    ports: ["80:80"]\n    environment: [A=1, B=2]\n    cap_add: [NET_ADMIN]\n',
      'override.yaml':
        'services:\n  app:\n    ports: !override ["127.0.0.1:8080:80"]\n    environment: !override {C: "3"}\n    cap_add: !reset []\n',
    },
    ['compose.yaml', 'override.yaml'],
  )
  const app = svc(p, 'app')
  t.deepEqual(
    parsePorts(app.node.get('ports'), 'app').map((x) => x.text),
    ['127.0.0.1:8080:80'],
  )
  t.deepEqual([...app.environment.keys()], ['C'])
  t.is(app.node.get('cap_add'), undefined)
})
