import test from 'ava'
import {detectInText} from '../../src/checks/secrets/index.js'
import {highEntropy} from '../support/fake-secrets.js'

const ids = (path: string, text: string) => detectInText(text, path).map((d) => `${d.id}:${d.severity}`)

test('credential files: positives by name and content', (t) => {
  const s = highEntropy(24)
  const auth = Buffer.from(`u:${s}`).toString('base64')
  t.deepEqual(ids('/root/.docker/config.json', JSON.stringify({auths: {'r.io': {auth}}})), ['credential-file.docker-config:high'])
  t.deepEqual(ids('/home/ci/.docker/config.json', JSON.stringify({auths: {'r.io': {identitytoken: s}}})), ['credential-file.docker-config:high'])
  t.deepEqual(ids('/root/.npmrc', `//registry.npmjs.org/:_authToken=${s}\n`), ['credential-file.npmrc:high'])
  t.deepEqual(ids('/root/.npmrc', `_auth=${auth}\n`), ['credential-file.npmrc:high'])
  t.deepEqual(ids('/root/.pypirc', `[pypi]\nusername = __token__\npassword = ${s}\n`), ['credential-file.pypirc:high'])
  t.deepEqual(ids('/root/.git-credentials', `https://bot:${s}@git.corp.internal\n`), ['credential-file.git-credentials:high'])
  t.deepEqual(ids('/root/.netrc', `machine api.corp.internal login bot password ${s}\n`), ['credential-file.netrc:high'])
  t.deepEqual(ids('/root/.aws/credentials', `[default]\naws_secret_access_key = ${s}\n`), ['credential-file.aws-credentials:high'])
  t.deepEqual(ids('/root/.kube/config', `users:\n- name: a\n  user:\n    client-key-data: ${Buffer.from(s).toString('base64')}\n`), ['credential-file.kubeconfig:high'])
  t.deepEqual(ids('/srv/app/.env.production', `SECRET_KEY=${s}\n`), ['credential-file.dotenv:high'])
  t.deepEqual(ids('/etc/nginx/.htpasswd', 'admin:$apr1$abcdefgh$0123456789abcdefghijkl\n'), ['credential-file.htpasswd:high'])
})

test('credential files: negatives (templates, env references, examples, no secrets)', (t) => {
  t.deepEqual(ids('/root/.docker/config.json', JSON.stringify({credsStore: 'ecr-login', auths: {'r.io': {}}})), [])
  t.deepEqual(ids('/root/.npmrc', '//registry.npmjs.org/:_authToken=${NPM_TOKEN}\nregistry=https://registry.npmjs.org/\n'), [])
  t.deepEqual(ids('/root/.pypirc', '[pypi]\nusername = __token__\npassword = <your token>\n'), [])
  t.deepEqual(ids('/srv/app/.env.example', `SECRET_KEY=${highEntropy(24)}\n`).filter((x) => x.startsWith('credential-file')), [])
  t.deepEqual(ids('/srv/app/.env', 'FOO=foo\nDEBUG=true\nDB_PASSWORD=changeme\nAPI_TOKEN=${TOKEN}\n'), [])
  t.deepEqual(ids('/root/.kube/config', 'users:\n- name: a\n  user:\n    exec:\n      command: aws\n'), [])
})

test('/etc/shadow: real hashes and empty passwords, not locked accounts', (t) => {
  const shadow = [
    'root:*:19000:0:99999:7:::',
    'daemon:*:19000:0:99999:7:::',
    'nobody:!:19000::::::',
    'svc:!!:19000::::::',
    'lock:!*:19000::::::',
    `app:$6$${highEntropy(16)}$${highEntropy(86)}:19000:0:99999:7:::`,
    `y:$y$j9T$${highEntropy(22)}$${highEntropy(43)}:19000::::::`,
    'guest::19000:0:99999:7:::',
    `old:!$6$${highEntropy(8)}$${highEntropy(86)}:19000::::::`,
  ].join('\n')
  const ds = detectInText(shadow, '/etc/shadow')
  t.deepEqual(ds.map((d) => [d.id, d.severity, d.line]), [
    ['credential-file.shadow', 'high', 6],
    ['credential-file.shadow', 'high', 7],
    ['credential-file.shadow-empty-password', 'high', 8],
    ['credential-file.shadow', 'medium', 9],
  ])
  t.regex(ds[0]?.evidence ?? '', /app: sha512crypt hash/)
  t.regex(ds[1]?.evidence ?? '', /yescrypt/)
})
