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
