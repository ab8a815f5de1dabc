import test from 'ava'
import {detectInText} from '../../src/checks/secrets/index.js'
import {BASE62, githubToken, randomFrom} from '../support/fake-secrets.js'
import {jwt, npmToken} from './secret-fixtures.js'

/**
 * Provider formats as their public documentation gives them (prefix, length, alphabet), fresh each run and written
 * the way other scanners' labelled cases write them: bare, assigned in an env file, inside a command. Each family
 * has near misses: a wrong length, a mask, a word where random characters belong.
 */
const HEX = '0123456789abcdef'
const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789'
const r = randomFrom
const ids = (text: string, path = '/srv/app/config.txt') =>
  detectInText(`${text}\n`, path).filter((d) => d.severity !== 'info').map((d) => d.id.replace('secret.', ''))

/** [family, text, the id it must give] */
const POSITIVES: Array<[string, () => string, string]> = [
  ['Groq', () => `GROQ_API_KEY=gsk_${r(BASE62, 52)}`, 'groq-key'],
  ['xAI', () => `xai-${r(BASE62, 80)}`, 'xai-key'],
  ['Replicate', () => `export REPLICATE_API_TOKEN=r8_${r(BASE62, 37)}`, 'replicate-token'],
  ['LangSmith', () => `LANGSMITH_API_KEY="lsv2_pt_${r(HEX, 32)}_${r(HEX, 10)}"`, 'langsmith-key'],
  ['Pinecone', () => `pcsk_${r(BASE62, 6)}_${r(BASE62, 64)}`, 'pinecone-key'],
  ['Postman', () => `x-api-key: PMAK-${r(HEX, 24)}-${r(HEX, 34)}`, 'postman-key'],
  ['Supabase', () => `SUPABASE_ACCESS_TOKEN=sbp_${r(HEX, 40)}`, 'supabase-token'],
  ['PlanetScale', () => `DATABASE_PASSWORD=pscale_pw_${r(BASE62, 43)}`, 'planetscale-token'],
  ['Figma', () => `figd_${r(BASE62, 40)}`, 'figma-token'],
  ['Netlify', () => `NETLIFY_AUTH_TOKEN=nfp_${r(BASE62, 36)}`, 'netlify-token'],
  ['ReadMe', () => `rdme_${r(LOWER, 70)}`, 'readme-key'],
  ['Prefect', () => `PREFECT_API_KEY=pnu_${r(BASE62, 36)}`, 'prefect-key'],
  ['Contentful', () => `CFPAT-${r(BASE62, 43)}`, 'contentful-token'],
  ['Tailscale', () => `TS_AUTHKEY=tskey-auth-k${r(BASE62, 11)}-${r(BASE62, 32)}`, 'tailscale-key'],
  ['Typeform', () => `tfp_${r(BASE62, 44)}_${r(BASE62, 14)}`, 'typeform-token'],
  ['Mapbox secret', () => `MAPBOX_TOKEN=sk.eyJ1IjoiYWNtZSIsImEiOiJ${r(BASE62, 20)}.${r(BASE62, 22)}`, 'mapbox-token'],
  ['RubyGems', () => `:rubygems_api_key: rubygems_${r(HEX, 48)}`, 'rubygems-key'],
  ['NuGet', () => `dotnet nuget push x.nupkg --api-key oy2${r('abcdefghijklmnopqrstuvwxyz', 20)}2${r('abcdefghijklmnopqrstuvwxyz234567', 22)}`, 'nuget-key'],
  ['Clojars', () => `CLOJARS_${r(LOWER, 59)}7`, 'clojars-token'],
  ['Brevo', () => `xkeysib-${r(HEX, 64)}-${r(BASE62, 16)}`, 'brevo-key'],
  ['Teams webhook', () => `https://acme.webhook.office.com/webhookb2/${uuid()}@${uuid()}/IncomingWebhook/${r(HEX, 32)}/${uuid()}`,
    'teams-webhook'],
  ['X bearer', () => `TWITTER_BEARER_TOKEN=${'A'.repeat(21)}${r(BASE62, 20)}%3D${r(BASE62, 50)}`, 'twitter-bearer'],
  ['Dynatrace', () => `DT_API_TOKEN=dt0c01.${r('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 24)}.${r('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 64)}`,
    'dynatrace-token'],
  ['Shippo', () => `shippo_live_${r(HEX, 40)}`, 'shippo-token'],
  ['Alibaba', () => `ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5t${r(BASE62, 14)}9a`, 'alibaba-access-key'],
  ['Google OAuth secret', () => `"client_secret": "GOCSPX-${r(BASE62, 28)}"`, 'google-oauth-secret'],
  ['Google access token', () => `Authorization: Bearer ya29.a0${r(BASE62, 120)}`, 'google-oauth-token'],
  ['Google refresh token', () => `"refresh_token": "1//0${r(BASE62, 100)}"`, 'google-oauth-token'],
  ['FCM server key', () => `AAAA${r(BASE62, 7)}:APA91b${r(BASE62, 134)}`, 'firebase-server-key'],
  // Families of issue 10 section 1, in the syntaxes users write them.
  ['Docker Hub PAT', () => `docker login -u ci -p dckr_pat_${r(BASE62, 27)}`, 'docker-hub-token'],
  ['npm in .npmrc', () => `//registry.npmjs.org/:_authToken=${npmToken()}`, 'npm-token'],
  ['GitHub in a URL', () => `git clone https://x-access-token:${githubToken('ghs')}@github.com/acme/app.git`, 'github-token'],
  // GitLab bodies are base64url: one in 16 ends in `-` or `_`.
  ['GitLab PAT ending in _', () => `GITLAB_TOKEN=glpat-${r(BASE62, 19)}_`, 'gitlab-token'],
  ['Vault root token', () => `VAULT_TOKEN=hvs.${r(BASE62, 21)}aZ9`, 'vault-token'],
  ['JWT in YAML', () => `  bearer_token: ${jwt('RS256', 2_000_000_000)}`, 'jwt'],
  ['mysql -p', () => `mysql -h db -u root -pZ9x!${r(BASE62, 12)} app < dump.sql`, 'cli-password'],
  ['sshpass', () => `sshpass -p 'Z9x!${r(BASE62, 12)}' scp build.tgz deploy@host:`, 'cli-password'],
  ['PowerShell', () => `$pw = ConvertTo-SecureString "Z9x!${r(BASE62, 12)}" -AsPlainText -Force`, 'cli-password'],
  ['--password value', () => `/opt/app/bin/server --db-password Z9x!${r(BASE62, 12)} --port 80`, 'cli-password'],
  ['ODBC Pwd', () => `Driver={ODBC Driver 18};Server=db;Uid=sa;Pwd=Z9x!${r(BASE62, 12)};`, 'generic-assignment'],
  ['#define', () => `#define API_KEY "${r(BASE62, 32)}"`, 'generic-assignment'],
  ['ECS task env', () => `{"name": "DB_PASSWORD", "value": "Z9x!${r(BASE62, 12)}"}`, 'generic-assignment'],
  ['pod env', () => `env:\n  - name: API_TOKEN\n    value: "${r(BASE62, 40)}"`, 'generic-assignment'],
]

function uuid(): string {
  return `${r(HEX, 8)}-${r(HEX, 4)}-4${r(HEX, 3)}-a${r(HEX, 3)}-${r(HEX, 12)}`
}

test('provider formats and command lines: realistic positives are found, by the family that owns them', (t) => {
  for (const [family, make, id] of POSITIVES) {
    for (let i = 0; i < 3; i++) {
      const text = make()
      t.true(ids(text).includes(id), `${family}: ${ids(text).join(',') || 'nothing'}`)
    }
  }
})

test('provider formats: near misses (wrong length, masks, low variety, words) are not reported', (t) => {
  for (const text of [
    `gsk_${r(BASE62, 40)}`, `xai-${'x'.repeat(80)}`, `r8_${r(BASE62, 20)}`, `lsv2_pt_${'0'.repeat(32)}_${'0'.repeat(10)}`,
    `PMAK-${r(HEX, 24)}`, `sbp_${r(HEX, 39)}`, 'figd_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', `nfp_${r(BASE62, 20)}`,
    `tskey-auth-${r(BASE62, 5)}`, `shippo_live_${'a'.repeat(40)}`, 'LTAIxxxxxxxxxxxxxxxx', 'LTAIEXAMPLEKEYIDENTX',
    `GOCSPX-${'a'.repeat(28)}`, 'ya29.this-is-not-a-real-token-just-words', `dt0c01.${'A'.repeat(24)}.${'B'.repeat(64)}`,
    // A word after `oy2`, an all-letter tail: base32 keys hold digits.
    'oy2abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq', `CLOJARS_${'a'.repeat(60)}`,
    // A GitLab prefix running into a longer identifier that ends in `_`.
    `glsoat-${r(BASE62, 30)}_${r(BASE62, 10)}_`,
    // Command lines that name a secret without holding one.
    'mysql -u root -p app', 'mysql -u root -p"$MYSQL_ROOT_PASSWORD" app', 'sshpass -p "$SSHPASS" ssh host',
    'ConvertTo-SecureString $plain -AsPlainText -Force', 'server --password PASSWORD', 'server --token <token>',
    'server --password "${DB_PASSWORD}" --port 80', 'app --api-key $(cat /run/secrets/key)',
    // A name field that is a label, with no value beside it; a define of a number.
    '{"name": "DB_PASSWORD", "description": "the database password"}', '#define TOKEN_MAX 64',
    'Driver={ODBC};Server=db;Uid=sa;Pwd={pwd};', 'PWD=/home/app',
  ]) {
    t.deepEqual(ids(text), [], text)
  }
})
