import test from 'ava'
import {detectInText} from '../../src/checks/secrets/index.js'
import {highEntropy} from '../support/fake-secrets.js'

const generic = (text: string) => detectInText(text, '/srv/app/config.txt').filter((d) => d.id === 'secret.generic-assignment').map((d) => d.evidence)

test('generic assignments in the common syntaxes', (t) => {
  const v = highEntropy(28)
  for (const line of [`password = ${v}`, `db_password: "${v}"`, `"client_secret": "${v}"`, `API_KEY=${v}`, `apikey := "${v}"`,
    `:access_key => '${v}'`, `private_key='${v}'`, `export AUTH_TOKEN="${v}"`]) {
    const found = generic(line)
    t.is(found.length, 1, line)
    t.false((found[0] ?? '').includes(v))
    t.regex(found[0] ?? '', /\(28 chars\)/)
  }
})

test('generic: placeholders, low entropy, references and non-secret names are not reported', (t) => {
  for (const line of ['password = changeme', 'password: ${DB_PASSWORD}', 'token = "<token>"', 'secret: xxxxxxxxxxxx',
    'api_key = "example-api-key-here"', 'password = get_password()', 'token = self.token_value', 'PASSWORD_FILE=/run/secrets/db',
    'password: "{{ vault_db_password }}"', 'password = %(db_password)s', 'token_url = https://auth.example.org/token',
    'public_key = AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl', 'GPG_KEY=B42F6819007F00F88E364FD4036A9C25BF357DD4',
    'password = hello', 'secret_length = 32']) {
    t.deepEqual(generic(line), [], line)
  }
})

/** [id, severity] of what the generic family reports for one file. */
/** A curl or Authorization credential found above info, by either rule that knows the form. */
function claimed(found: string[]): boolean {
  return found.some((f) => /^(http-auth|curl-credentials):(medium|high|critical)$/.test(f))
}

/** Every finding, whichever family made it. */
function any(path: string, text: string): string[] {
  return detectInText(text, path).map((d) => `${d.id.replace('secret.', '')}:${d.severity}`)
}

function seen(path: string, text: string): string[] {
  return detectInText(text, path)
    .filter((d) => /^secret\.(generic-assignment|url-credentials|netrc-entry|http-auth)$/.test(d.id))
    .map((d) => `${d.id.replace('secret.', '')}:${d.severity}`)
}

test('generic: every kind of placeholder is not a secret, in config and code alike', (t) => {
  const values = ['<password>', '&lt;your-token&gt;', '${DB_PASSWORD}', '$DB_PASSWORD', '%(db_password)s', '{{ vault_pw }}',
    'changeme', 'your_password', 'xxxxxxxxxxxxxxxx', '****************', 'null', 'None', 'true', 'password', 'aaaaaaaaaaaa',
    'db_password', 'REPLACE_WITH_YOUR_TOKEN', '$(cat /run/secrets/db)', 'ENC(G7hd8s0sK2dLw9)', 'fake-Xk29fj3Lq8Zp2mNv']
  for (const v of values) {
    for (const path of ['/etc/app/app.properties', '/srv/app/settings.py', '/srv/app/.env']) {
      const line = path.endsWith('.py') ? `DB_PASSWORD = "${v}"\n` : `db_password=${v}\n`
      t.deepEqual(seen(path, line), [], `${path}: ${line}`)
    }
  }
})

test('generic: in source code the right-hand side is an expression unless it is a quoted string', (t) => {
  const code: Array<[string, string]> = [
    ['/usr/lib/python3/dist-packages/ansible/module_utils/powershell/Ansible.ModuleUtils.WebRequest.psm1',
      '$credential = New-Object -TypeName System.Net.NetworkCredential -ArgumentList $u, $p\n'],
    ['/usr/lib/x/helpers.ps1', '$proxy.Credentials = [System.Net.CredentialCache]::DefaultCredentials\n'],
    ['/usr/share/nodejs/npm/lib/utils/config.js', 'const askPassSetInConfig = config.get("askpass") !== undefined\n'],
    ['/srv/app/a.js', 'this._passThroughOptions = passThrough;\nlet token = tokenizer.nextToken(input)\n'],
    ['/srv/app/a.ts', 'const apiKey: string = process.env.API_KEY ?? ""\n'],
    ['/srv/app/a.py', 'password = os.environ["DB_PASSWORD"]\nsecret_key = settings.SECRET_KEY\n'],
    ['/srv/app/a.go', 'token := cfg.Token\nsecret := os.Getenv("SECRET")\n'],
    ['/srv/app/A.java', 'String password = getPassword();\nprivate final String apiKey = props.getProperty("api.key");\n'],
    ['/srv/app/a.rb', "@password = ENV['DB_PASSWORD']\n"],
    ['/srv/app/a.php', "$password = $_POST['password'];\n"],
    ['/srv/app/A.cs', 'var apiKey = Configuration["ApiKey"];\n'],
    ['/srv/app/esprima.js', 'DefaultRestParameter:"Unexpected token =",DuplicateBinding:"Duplicate binding %0"\n'],
    ['/srv/app/main.tf', 'administrator_login_password = var.db_password\n'],
  ]
  for (const [path, text] of code) t.deepEqual(seen(path, text), [], `${path}: ${text}`)
  // A literal in code is a value: reported when it is key-like, not when it is a word (a label, an argument name).
  const v = highEntropy(24)
  for (const path of ['/srv/app/a.py', '/srv/app/a.js', '/srv/app/a.go', '/srv/app/A.cs', '/srv/app/x.ps1']) {
    t.deepEqual(seen(path, `api_key = "${v}"\n`), ['generic-assignment:medium'], path)
    t.deepEqual(seen(path, 'password = "thisismypassword"\n'), [], path)
  }
  // A bare value inside a string literal is a value too (a connection string in C#).
  t.deepEqual(seen('/srv/app/Db.cs', `var cs = "Server=db;User Id=sa;Password=${v};";\n`), ['generic-assignment:medium'])
})

test('generic: file kind decides whether a human-chosen password is reported', (t) => {
  for (const [path, line] of [
    ['/etc/app/app.properties', 'db.password=thisismypassword'], ['/etc/app/app.ini', 'password = thisismypassword'],
    ['/srv/app/app.env', 'DB_PASSWORD=thisismypassword'], ['/etc/app/config.yaml', 'password: thisismypassword'],
    ['/srv/app/config.json', '{"password": "thisismypassword"}'], ['/srv/app/deploy.sh', 'mysql --password=hunter22 db'],
    ['/srv/app/main.tf', 'administrator_login_password = "thisIsDog"'],
  ]) {
    t.deepEqual(seen(path ?? '', `${line}\n`), ['generic-assignment:low'], `${path}: ${line}`)
  }
  // Settings words are not passwords: `passwd: files` in nsswitch.conf, a lintian table line.
  t.deepEqual(seen('/etc/nsswitch.conf', 'passwd:         files\n'), [])
  t.deepEqual(seen('/usr/share/lintian/overrides/passwd', 'passwd: elevated-privileges 2755 root/shadow [usr/bin/chage]\n'), [])
})

test('generic: entropy and character classes decide key-like values; the name decides how strong it must be', (t) => {
  const strong = highEntropy(32)
  t.deepEqual(seen('/etc/app/app.ini', `client_secret = ${strong}\n`), ['generic-assignment:medium'])
  t.deepEqual(seen('/etc/app/app.ini', 'password = P@ssw0rd$1x\n'), ['generic-assignment:medium'])
  t.deepEqual(seen('/etc/app/app.ini', `access_token = ${strong}\n`), ['generic-assignment:medium'])
  // A bare `token` is weak: short random values only at low.
  t.deepEqual(seen('/etc/app/app.ini', 'token = Xk29fj3Lq8Zp\n'), ['generic-assignment:low'])
  // Tokens that are cursors, idempotency keys or lexer tokens, whatever their value looks like.
  for (const name of ['ChangeToken', 'NextContinuationToken', 'ClientRequestToken', 'cancel_token', 'PurchaseToken',
    'lastSignificantToken', 'csrf-token', 'page_token']) {
    t.deepEqual(seen('/etc/app/app.ini', `${name} = ${strong}\n`), [], name)
  }
  // Names about a secret, not of one.
  for (const name of ['password_policy', 'token_url', 'secret_name', 'PasswordLastUsed', 'public_key', 'credentialsId',
    'secret_length', 'key_name', 'passThrough', 'bypass']) {
    t.deepEqual(seen('/etc/app/app.ini', `${name} = ${strong}\n`), [], name)
  }
  // Values that are something else: dates, versions, paths, file names, e-mail addresses, identifiers.
  for (const v of ['2014-10-20T11:19:00Z', '1.2.3-beta.4', '/run/secrets/db', 'env/cert.p12', 'ops@example.org',
    'XSalsa20.secret_length', 'K8S_CRED']) {
    t.deepEqual(seen('/etc/app/app.ini', `password = ${v}\n`), [], v)
  }
  // A value that spells its own name is a sample, seen at info.
  // (nuget.config's own rule claims its ClearTextPassword: a sample-looking value there is still what nuget sends.)
  t.deepEqual(seen('/srv/app/app.ini', 'password = "TestSourcePassword1"\n'), ['generic-assignment:info'])
  t.deepEqual(any('/srv/app/nuget.config', `<add key="ClearTextPassword" value="${strong}" />\n`), ['nuget-password:high'])
  t.deepEqual(seen('/srv/app/pom.xml', `<password>${strong}</password>\n`), ['generic-assignment:medium'])
})

test('generic: API documentation and example data are recognised by structure, wherever they lie', (t) => {
  const v = highEntropy(36)
  const examples = JSON.stringify({version: '1.0', examples: {GetChangeToken: [{input: {}, output: {ChangeToken: v, OldPassword: '3s0K_;xh4~8XXI'}}]}}, null, 2)
  const ds = detectInText(examples, '/opt/sdk/data/waf/2015-08-24/ex.json').filter((d) => d.id === 'secret.generic-assignment')
  t.true(ds.length > 0 && ds.every((d) => d.severity === 'info' && /API example data/.test(d.note ?? '')), JSON.stringify(ds))
  const model = JSON.stringify({version: '2.0', metadata: {apiVersion: '2015'}, operations: {}, shapes: {Pw: {documentation: `<p>secret: ${v}</p>`}}})
  t.true(seen('/opt/sdk/service.json', model).every((s) => s.endsWith(':info')))
  const openapi = `openapi: 3.0.1\npaths:\n  /login:\n    post:\n      example:\n        api_key: ${v}\n`
  t.deepEqual(seen('/srv/app/api.yaml', openapi), ['generic-assignment:info'])
  const markdown = `# Setup\n\n\`\`\`\nAPI_KEY=${v}\n\`\`\`\n`
  t.deepEqual(seen('/srv/app/SETUP.txt', markdown), ['generic-assignment:info'])
  const docstring = `EXAMPLES = r'''\n- name: login\n  expect:\n    responses:\n      password: "MySekretPa$$word1"\n'''\n`
  t.deepEqual(seen('/usr/lib/python3/dist-packages/ansible/modules/expect.py', docstring), ['generic-assignment:info'])
  // The same line in a plain config file is a finding.
  t.deepEqual(seen('/srv/app/app.yaml', `api_key: ${v}\n`), ['generic-assignment:medium'])
})

test('URL credentials: every common scheme, localhost and example hosts included', (t) => {
  const p = 'Xk29fj3Lq8Zp2m'
  for (const url of [`postgres://app:${p}@db:5432/app`, `postgresql://app:${p}@localhost/app`, `mysql://root:${p}@127.0.0.1/x`,
    `mariadb://u:${p}@h/x`, `mongodb://u:${p}@h:27017/x`, `mongodb+srv://u:${p}@cluster0.example.net/x`, `redis://:${p}@cache:6379/0`,
    `rediss://default:${p}@cache:6380`, `amqp://u:${p}@mq/vhost`, `amqps://u:${p}@mq`, `ftp://u:${p}@files.example.com/`,
    `ldap://cn=admin:${p}@ldap.local`, `smtp://mailer:${p}@smtp.example.org:587`, `https://ci:${p}@example.com/repo.git`,
    `jdbc:mysql://u:${p}@db:3306/app`, `jdbc:sqlserver://db:1433;databaseName=app;user=sa;password=${p};`,
    `jdbc:postgresql://db/app?user=app&password=${p}`, `jdbc:mysql://[(host=h1,port=1111,user=sandy,password=${p})]/db`]) {
    t.deepEqual(seen('/srv/app/app.conf', `url = "${url}"\n`), ['url-credentials:medium'], url)
  }
  t.deepEqual(seen('/srv/app/app.conf', 'DATABASE_URL=postgresql://user:s3cr3tpw@localhost/app\n'), ['url-credentials:medium'])
  // The issue's own example: a weak word is still the password the database gets.
  t.deepEqual(seen('/srv/app/app.conf', 'DATABASE_URL=postgresql://user:secret@localhost\n'), ['url-credentials:medium'])
  t.deepEqual(seen('/srv/app/app.conf', 'url = mysql://root:admin@db/x\n'), ['url-credentials:medium'])
  // Templates stay out; placeholder words and user-equals-password stay visible at info.
  for (const url of ['postgres://u:${PASS}@db/x', 'mysql://u:{{ pass }}@db/x', 'postgres://$(PGUSER):$(PGPASSWORD)@db/x',
    'https://{USER}:{PASS}@h', 'mongodb://u:<password>@h', 'redis://u:****@h']) {
    t.deepEqual(seen('/srv/app/app.conf', `url = ${url}\n`), [], url)
  }
  for (const url of ['mongodb://user:password@localhost/x', 'postgres://postgres:postgres@localhost/x', 'https://u:changeme@h/x']) {
    t.deepEqual(seen('/srv/app/app.conf', `url = ${url}\n`), ['url-credentials:info'], url)
  }
})

test('netrc entries are found in any file, on one line or several', (t) => {
  const p = 'Xk29fj3Lq8Zp2m'
  t.deepEqual(seen('/srv/app/Dockerfile', `RUN echo "machine github.com login ci password ${p}" > ~/.netrc\n`), ['netrc-entry:medium'])
  t.deepEqual(seen('/srv/app/setup.txt', `machine repo.internal\n  login deploy\n  password ${p}\n`), ['netrc-entry:medium'])
  t.deepEqual(seen('/srv/app/setup.txt', 'machine ftp.example.org login anonymous password me@example.org\n'), [])
  t.deepEqual(seen('/srv/app/setup.txt', 'machine h login u password ${NETRC_PASSWORD}\n'), [])
  // A real .netrc is the credential-file rule's, reported once.
  t.deepEqual(detectInText(`machine h login u password ${p}\n`, '/root/.netrc').map((d) => d.id), ['credential-file.netrc'])
})

test('HTTP credentials: Authorization headers and curl -u, templates left out', (t) => {
  const tok = highEntropy(32)
  const basic = Buffer.from(`deploy:${highEntropy(20)}`).toString('base64')
  // curl's own rule (detectors/cli.ts) claims curl lines; the header alone is the http-auth rule's.
  t.deepEqual(any('/srv/app/check.sh', `curl -H "Authorization: Bearer ${tok}" https://api.internal/v1\n`), ['curl-credentials:high'])
  t.deepEqual(seen('/srv/app/client.py', `headers = {"Authorization": "Bearer ${tok}"}\n`), ['http-auth:medium'])
  t.true(claimed(any('/srv/app/check.sh', `curl -H 'Authorization: Basic ${basic}' http://h/\n`)), `curl -H 'Authorization: Basic ${basic}' http://h/\n`)
  t.true(claimed(any('/srv/app/check.sh', `curl -u deploy:${tok} https://h/\n`)), `curl -u deploy:${tok} https://h/\n`)
  t.true(claimed(any('/srv/app/check.sh', "curl --user kevin:'pRf7vG2h1L8nQkW9' -X PATCH\n")), "curl --user kevin:'pRf7vG2h1L8nQkW9' -X PATCH\n")
  t.true(claimed(any('/srv/app/check.sh', `curl -u "${tok}:" https://api.example.com\n`)), `curl -u "${tok}:" https://api.example.com\n`)
  for (const line of ['curl -H "Authorization: Bearer $API_KEY" https://h', 'curl -H "Authorization: Bearer <token>"',
    'curl -H "Authorization: Token **********"', 'curl -H "Authorization: Bearer $(gcloud auth print-access-token)"',
    'curl -u "${USER}:${PASS}" https://h', 'curl -u "$1:$2" "$3"', "curl -i -u 'test:test'", 'curl -u username:password',
    'curl --user "{{ .Values.user }}:{{ .Values.pass }}"', 'useradd -u 1000:1000 app', 'docker run -u app:Xk29fj3Lq8Zp2mNv x']) {
    t.deepEqual(seen('/srv/app/check.sh', `${line}\n`), [], line)
  }
})

test('generic: typed samples (runs of the alphabet or digits) are kept at info', (t) => {
  t.deepEqual(any('/srv/app/app.ini', 'SNYK_TOKEN = "12345678-ABCD-ABCD-ABCD-1234567890AB"\n'), ['snyk-token:info'])
  t.deepEqual(seen('/srv/app/app.ini', 'SUMO_ACCESS_KEY: AbCdEFG123\n'), ['generic-assignment:info'])
})
