import test from 'ava'
import {execFile} from 'node:child_process'
import {promisify} from 'node:util'
import {parse} from 'yaml'
import {loadProject} from '../../src/compose/load.js'
import {expandPorts, parsePorts} from '../../src/compose/normalize.js'
import {parseYaml, text} from '../../src/compose/tree.js'
import {project} from './helpers.js'

/**
 * docker-compose 1.29 (Debian's, no engine needed for `config`) is the oracle for what a file means: on each case it
 * accepts, the ports, environment (env_file merged) and interpolated images imgvet reads must be the ones it prints.
 */
const run = promisify(execFile)

interface Case {
  name: string
  files: Record<string, string>
  compose: string[]
  env?: Record<string, string>
  /** How many port bindings the case holds in all, so an empty comparison cannot pass. */
  bindings: number
}

const CASES: Case[] = [
  {
    name: 'short and long ports: addresses, IPv6, ranges, container-only, protocols',
    compose: ['compose.yaml'],
    bindings: 11,
    files: {
      'compose.yaml': [
        'services:',
        '  web:',
        '    image: httpd:2.4',
        '    ports:',
        '      - "80:80"',
        '      - 8080',
        '      - "127.0.0.1:8443:443/tcp"',
        '      - "[::1]:9000:9000"',
        '      - "0.0.0.0:53:53/udp"',
        '      - "9100-9102:9100-9102"',
        '      - "127.0.0.1::6000"',
        '      - target: 5000',
        '        published: 5001',
        '        protocol: udp',
        '      - target: 7000',
        '',
      ].join('\n'),
    },
  },
  {
    name: 'env_file merged under environment, quotes, comments, list and map environment',
    compose: ['compose.yaml'],
    bindings: 0,
    files: {
      'compose.yaml':
        'services:\n  db:\n    image: mysql:8\n    env_file: [db.env, extra.env]\n    environment:\n      - MYSQL_DATABASE=app\n      - OVERRIDDEN=compose\n',
      'db.env': '# credentials\nMYSQL_ROOT_PASSWORD=r00t-Pass\nOVERRIDDEN=env-file\nQUOTED="two words"\n',
      'extra.env': 'MYSQL_USER=app\nOVERRIDDEN=extra\n',
    },
  },
  {
    name: 'interpolation: .env, shell over .env, defaults, $$, unset to empty',
    compose: ['compose.yaml'],
    bindings: 1,
    env: {SHELL_WINS: 'from-shell'},
    files: {
      'compose.yaml': [
        'services:',
        '  app:',
        '    image: "registry.example.com/app:${TAG}"',
        '    ports: ["${HOST_PORT:-8080}:80"]',
        '    environment:',
        '      A: "${SHELL_WINS}"',
        '      B: "${MISSING-dflt}"',
        '      C: "${EMPTY:-dflt}"',
        '      D: "${EMPTY-dflt}"',
        '      E: "cost $$5"',
        '      F: "${NOT_SET_AT_ALL}"',
        '      G: "$TAG-plain"',
        '  unset:',
        '    image: "registry.example.com/other:${NO_TAG}"',
        '',
      ].join('\n'),
      '.env': 'TAG=1.4.2\nSHELL_WINS=from-dotenv\nEMPTY=\n',
    },
  },
  {
    name: 'override files: ports appended, environment merged by key, image replaced',
    compose: ['compose.yaml', 'compose.override.yaml'],
    bindings: 2,
    files: {
      'compose.yaml': 'services:\n  app:\n    image: app:1\n    ports: ["80:80"]\n    environment: [A=1, B=2]\n',
      'compose.override.yaml':
        'services:\n  app:\n    image: app:2\n    ports: ["127.0.0.1:9000:9000"]\n    environment: {B: "3", C: "4"}\n',
    },
  },
]

type Bound = ReturnType<typeof expandPorts>[number]
const key = (b: Bound) => `${b.hostIp}|${b.published ?? ''}|${b.target}|${b.protocol}`

for (const c of CASES) {
  test(`docker-compose config agrees: ${c.name}`, async (t) => {
    const dir = project(c.files)
    const env = {PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...c.env}
    const {stdout} = await run('docker-compose', [...c.compose.flatMap((f) => ['-f', f]), 'config'], {cwd: dir, env})
    const theirs = (
      parse(stdout) as {
        services: Record<string, {image?: string; ports?: unknown[]; environment?: Record<string, unknown>}>
      }
    ).services
    const mine = loadProject(c.compose, {cwd: dir, env: c.env ?? {}})
    t.deepEqual(mine.services.map((s) => s.name).sort(), Object.keys(theirs).sort())
    let bindings = 0
    for (const s of mine.services) {
      const o = theirs[s.name]
      if (!o) continue
      t.is(text(s.node.get('image')), o.image, `${s.name} image`)
      // Their ports are long mappings or short strings; read both with the same parser, then compare bindings.
      const oraclePorts = parsePorts(parseYaml(JSON.stringify(o.ports ?? []), 'oracle'), s.name)
        .flatMap(expandPorts)
        .map(key)
        .sort()
      const minePorts = parsePorts(s.node.get('ports'), s.name).flatMap(expandPorts).map(key).sort()
      t.deepEqual(minePorts, oraclePorts, `${s.name} ports`)
      bindings += oraclePorts.length
      // docker-compose escapes `$` as `$$` when it prints.
      const theirEnv = Object.fromEntries(
        Object.entries(o.environment ?? {}).map(([k, v]) => [k, String(v ?? '').replace(/\$\$/g, '$')]),
      )
      t.deepEqual(
        Object.fromEntries([...s.environment].map(([k, v]) => [k, String(v.value ?? '')])),
        theirEnv,
        `${s.name} environment`,
      )
    }
    t.is(bindings, c.bindings)
  })
}

test('docker-compose and imgvet both refuse ${VAR:?err} when VAR is unset', async (t) => {
  const dir = project({'compose.yaml': 'services:\n  a:\n    image: "x:${PORT:?port required}"\n'})
  const e = await t.throwsAsync(run('docker-compose', ['config'], {cwd: dir, env: {PATH: process.env['PATH'] ?? ''}}))
  t.regex(String((e as {stderr?: string}).stderr), /port required/)
  t.throws(() => loadProject(['compose.yaml'], {cwd: dir, env: {}}), {
    message: 'compose.yaml:3: required variable PORT is missing a value: port required',
  })
})
