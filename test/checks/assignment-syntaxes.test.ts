import test from 'ava'
import {detectInText} from '../../src/checks/secrets/index.js'
import {highEntropy, randomFrom} from '../support/fake-secrets.js'

/**
 * The generic rule across the syntaxes config and code put a secret in, each with a near miss that must stay quiet.
 * Values are fresh each run; a human-chosen password carries a digit and a symbol, as password rules ask.
 */
const found = (path: string, text: string) =>
  detectInText(text, path).filter((d) => d.severity !== 'info').map((d) => `${d.id.replace('secret.', '')}:${d.severity}`)

const password = () => `Tr0ub4dor&3-${randomFrom('abcdefghijkmnpqrstuvwxyz23456789', 6)}`

test('PHP arrays and define(), quoted names in code', (t) => {
  const pw = password()
  const key = highEntropy(40)
  t.deepEqual(found('/var/www/config.php', `<?php\nreturn [\n  'db' => [\n    'password' => '${pw}',\n  ],\n];\n`),
    ['generic-assignment:medium'])
  t.deepEqual(found('/var/www/wp-config.php', `define('AUTH_KEY', '${key}');\n`), ['generic-assignment:medium'])
  t.deepEqual(found('/app/settings.js', `module.exports = {"apiKey": "${key}"}\n`), ['generic-assignment:medium'])
  // Near misses: a request field read at run time, a define of another constant, a label in a quoted string.
  t.deepEqual(found('/var/www/login.php', `$password = $_POST['password'];\n$cfg = ['password' => $pw];\n`), [])
  t.deepEqual(found('/var/www/wp-config.php', `define('DB_NAME', '${key}');\n`), [])
  t.deepEqual(found('/app/x.js', `throw new Error("bad 'password' => " + value)\n`), [])
})

test('YAML block scalars: a one-line block is the value, a longer block is left to the key rules', (t) => {
  const pw = password()
  t.deepEqual(found('/app/config.yaml', `database:\n  password: |\n    ${pw}\n  user: app\n`), ['generic-assignment:medium'])
  t.deepEqual(found('/app/config.yaml', `api_secret: >-\n  ${highEntropy(32)}\n`), ['generic-assignment:medium'])
  t.deepEqual(found('/app/config.yaml', `password: |\n  \${DB_PASSWORD}\n`), [])
  t.deepEqual(found('/app/config.yaml', `secret: |\n  line one of a note\n  line two of it\n`), [])
  // The block belongs to a sibling key at the same depth, not to `password`.
  t.deepEqual(found('/app/config.yaml', `password: |\nother: ${highEntropy(32)}\n`), [])
})

test('Dockerfile ENV without "=", Makefile ?=, properties with ":" and spaces', (t) => {
  const key = highEntropy(32)
  t.deepEqual(found('/src/Dockerfile', `FROM debian\nENV API_SECRET ${key}\n`), ['generic-assignment:medium'])
  t.deepEqual(found('/src/Dockerfile', `FROM debian\nENV API_SECRET="${key}"\n`), ['generic-assignment:medium'])
  t.deepEqual(found('/src/Makefile', `API_TOKEN ?= ${key}\n`), ['generic-assignment:medium'])
  t.deepEqual(found('/app/application.properties', `db.password:${password()}\n`), ['generic-assignment:medium'])
  t.deepEqual(found('/app/application.properties', `db.password ${password()}\n`), ['generic-assignment:medium'])
  // Near misses: a reference, prose after ENV, an ARG with no default, a `host:port` outside properties.
  t.deepEqual(found('/src/Dockerfile', `ENV DB_PASSWORD \${DB_PASSWORD}\nARG NPM_TOKEN\n`), [])
  t.deepEqual(found('/src/Dockerfile', `ENV API_SECRET set at run time\n`), [])
  t.deepEqual(found('/app/notes.conf', `token:${key}\n`), [])
  t.deepEqual(found('/app/README.txt', `password ${password()}\n`), [])
})

test('base64 values are judged by the text they encode', (t) => {
  const b64 = (s: string) => Buffer.from(s).toString('base64')
  t.deepEqual(found('/app/config.yml', `password: ${b64('password')}\n`), [])
  t.deepEqual(found('/app/config.yml', `password: ${b64('changeme')}\n`), [])
  t.deepEqual(found('/app/config.yml', `password: ${b64('${DB_PASSWORD}')}\n`), [])
  t.deepEqual(found('/app/config.yml', `password: ${b64(password())}\n`), ['generic-assignment:medium'])
  // Random bytes do not decode to text: key material stays key material.
  const bytes = Buffer.from(Buffer.from(highEntropy(30), 'latin1').map((c) => c ^ 0x80))
  t.deepEqual(found('/app/config.yml', `api_secret: ${bytes.toString('base64')}\n`), ['generic-assignment:medium'])
})

test('Rails secret_key_base and the syntaxes of other languages', (t) => {
  const hex = randomFrom('0123456789abcdef', 128)
  t.deepEqual(found('/app/config/initializers/secret.rb', `Rails.application.config.secret_key_base = "${hex}"\n`),
    ['generic-assignment:medium'])
  t.deepEqual(found('/app/main.go', `cfg := Config{\n\tPassword: "${password()}",\n}\n`), ['generic-assignment:medium'])
  t.deepEqual(found('/app/env.sh', `export DB_PASSWORD="${password()}"\n`), ['generic-assignment:medium'])
  t.deepEqual(found('/app/config.xml', `<config><password>${password()}</password></config>\n`), ['generic-assignment:medium'])
  t.deepEqual(found('/app/context.xml', `<Resource name="jdbc/db" password="${password()}" />\n`), ['generic-assignment:medium'])
  t.deepEqual(found('/app/config.toml', `[database]\npassword = "${password()}"\n`), ['generic-assignment:medium'])
  t.deepEqual(found('/app/config.json', `{\n  "password" : "${password()}"\n}\n`), ['generic-assignment:medium'])
  // Near misses in the same languages.
  t.deepEqual(found('/app/main.go', `type Config struct {\n\tPassword string \`json:"password"\`\n}\n`), [])
  t.deepEqual(found('/app/x.rb', `config.secret_key_base = ENV.fetch("SECRET_KEY_BASE")\n`), [])
  t.deepEqual(found('/app/config.xml', `<password>\${env.DB_PASSWORD}</password>\n`), [])
})

test('a password full of symbols is a password: braces that open no template are its characters', (t) => {
  // Symbol soup in the way detect-secrets' keyword cases write secrets; fresh letters each run.
  const soup = () => `${randomFrom('abcdefghjk', 2)}{{${randomFrom('mnpq', 1)}}x)w\${r]ty(u[io>-_$#${randomFrom('stuvwxyz', 5)}}}`
  for (const [path, line] of [
    ['/srv/app/settings', `apikey := "${soup()}"`], ['/srv/app/main.go', `apikey := '${soup()}'`],
    ['/srv/app/settings', `the_password = ${soup()}`], ['/srv/app/settings', `"theapikey": "${soup()}"`],
    ['/srv/app/x.py', `some_dict["secret"] = "${soup()}"`], ['/srv/app/x.m', `apikey = @"${soup()}"`],
    ['/srv/app/x.php', `$apikey[] = "${soup()}";`], ['/srv/app/nginx.conf', `private_key '${soup()}';`],
    ['/srv/app/settings', `apikey:${highEntropy(32)}`],
  ] as const) {
    t.deepEqual(found(path, `${line}\n`), ['generic-assignment:medium'], line)
  }
  // Templates and references stay quiet however they are written.
  for (const line of ['password: ${link}', 'private_key "${FOO}";', `token = "{{${soup().slice(1)}}}"`, 'apikey: "{{ vault.key | default(\'x\') }}"',
    'SUMO_KEY=${SUMO_KEY:=$2}', 'private_key "some/dir/that/is/a/path";', 'apiKey: this.apiKey,', 'my_password = request.json_body[\'hey\']',
    'notes = "Maven - io.jsonwebtoken:jjwt-api-0.11.2"', 'password:secret', `apikey:${randomFrom('abc', 4)}`]) {
    t.deepEqual(found('/srv/app/settings.yaml', `${line}\n`), [], line)
  }
  // In code a bare right-hand side is an expression, whatever its characters.
  t.deepEqual(found('/srv/app/x.py', `my_password = hope]no[body>-_$#${randomFrom('stuvwxyz', 6)}\n`), [])
})

test('<provider>_KEY holding long key material is a secret; lookup keys, fingerprints and short values are not', (t) => {
  t.deepEqual(found('/app/.env', `ACME_KEY=${highEntropy(40)}\n`), ['generic-assignment:medium'])
  t.deepEqual(found('/app/config.yml', `mapbox_key: ${highEntropy(32)}\n`), ['generic-assignment:medium'])
  t.deepEqual(found('/app/x.js', `const ALGOLIA_ADMIN_KEY = "${highEntropy(32)}"\n`), ['generic-assignment:medium'])
  const fingerprint = randomFrom('0123456789ABCDEF', 40)
  for (const line of [`GPG_KEY=${fingerprint}`, `NODE_RELEASE_KEY=${fingerprint}`, `CACHE_KEY=${highEntropy(30)}`,
    `SORT_KEY=${highEntropy(30)}`, `ACME_KEY=${highEntropy(12)}`, 'ACME_KEY=production-default', `DEVICE_KEY=${highEntropy(30)}`]) {
    t.deepEqual(found('/app/.env', `${line}\n`), [], line)
  }
  t.deepEqual(found('/usr/share/doc/acme/README.md', `ACME_KEY=${highEntropy(40)}\n`), [])
})

test('negatives in the styles other scanners list: templates, vaults, masks, digests, labels, code', (t) => {
  const digest = randomFrom('0123456789abcdef', 64)
  for (const line of ['secret_key: "{{ secret_key }}"', 'PASSWORD=${PASSWORD:-changeme}', 'token: "$(TOKEN)"', 'password: !vault |',
    'password: ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]', 'AWS_SECRET_ACCESS_KEY=${{ secrets.AWS_SECRET_ACCESS_KEY }}',
    'password = "[REDACTED]"', '--password=$DB_PASS', 'mysql -u root -p${MYSQL_ROOT_PASSWORD}', `sha256_key: ${digest}`,
    `image_key: sha256:${digest}`, `checksum_key = "${digest.slice(0, 32)}"`, 'uuid_key: 123e4567-e89b-12d3-a456-426614174000',
    '"password": "Passwort"', 'private_key "path/to/key.pem";', 'ssl_certificate_key "/etc/nginx/key.pem";', '--api-key YOUR_API_KEY',
    'Uid=sa;Pwd=${SA_PASSWORD};', 'RAILS_MASTER_KEY=$(cat config/master.key)', 'redis://:${REDIS_PASSWORD}@redis:6379']) {
    t.deepEqual(found('/srv/app/config.txt', `${line}\n`), [], line)
  }
  for (const line of ['this.apiKey = apiKey;', 'export const API_KEY = import.meta.env.VITE_API_KEY', 'const TOKEN_KEY = "auth_token"']) {
    t.deepEqual(found('/srv/app/x.ts', `${line}\n`), [], line)
  }
})
