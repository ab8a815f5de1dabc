import test from 'ava'
import {randomInt} from 'node:crypto'
import {DETECTORS} from '../../src/checks/secrets/detectors/index.js'
import {detectInText} from '../../src/checks/secrets/index.js'
import {awsKeyPair, BASE62, githubToken, highEntropy, randomFrom} from '../support/fake-secrets.js'
import {jwt, npmToken} from './secret-fixtures.js'

const HEX = '0123456789abcdef'
const hex = (n: number) => randomFrom(HEX, n)
const lower = (n: number) => randomFrom('abcdefghijklmnopqrstuvwxyz', n)
const letters = (n: number) => randomFrom('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', n)
const upperNum = (n: number) => randomFrom('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', n)
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`
const b64 = (n: number) => Buffer.from(highEntropy(n)).toString('base64')

/** bech32 (BIP-173), written here apart from the product's checker, to make age keys that must validate. */
function bech32(hrp: string, data: number[]): string {
  const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
  const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
  const polymod = (values: number[]) => values.reduce((chk, v) => {
    const b = chk >>> 25
    let c = (((chk & 0x1ffffff) << 5) ^ v) >>> 0
    GEN.forEach((g, i) => { if ((b >>> i) & 1) c = (c ^ g) >>> 0 })
    return c
  }, 1)
  const expand = [...hrp].map((c) => c.charCodeAt(0) >> 5).concat([0], [...hrp].map((c) => c.charCodeAt(0) & 31))
  const mod = polymod([...expand, ...data, 0, 0, 0, 0, 0, 0]) ^ 1
  const checksum = [0, 1, 2, 3, 4, 5].map((i) => (mod >>> (5 * (5 - i))) & 31)
  return `${hrp}1${[...data, ...checksum].map((d) => CHARSET[d]).join('')}`
}
const ageKey = () => bech32('age-secret-key-', Array.from({length: 52}, () => randomInt(32))).toUpperCase()
const snowflake = () => `${1 + randomInt(9)}${randomFrom('0123456789', 17)}`

interface Samples {positive: Array<[text: string, id: string]>; negative: string[]}

/** At least one finding each detector must make and one it must not: adding a detector without samples fails. */
const SAMPLES: () => Record<string, Samples> = () => ({
  'credential-files': {positive: [['{"auths":{"r.io":{"auth":"' + b64(20) + '"}}}', 'credential-file.docker-config']], negative: ['{"auths":{}}']},
  'private-keys': {positive: [], negative: ['-----BEGIN PRIVATE KEY-----\nanything\n-----END PRIVATE KEY-----']},
  certificates: {positive: [], negative: ['-----BEGIN CERTIFICATE-----\nnot a cert\n-----END CERTIFICATE-----']},
  github: {positive: [[`token: ${githubToken()}`, 'secret.github-token']], negative: ['ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx']},
  gitlab: {
    positive: [[`glpat-${highEntropy(20)}`, 'secret.gitlab-token'], [`glptt-${hex(40)}`, 'secret.gitlab-token'],
      [`glcbt-${highEntropy(24)}`, 'secret.gitlab-token'], [`GR1348941${highEntropy(20)}`, 'secret.gitlab-token']],
    negative: [`glptt-${hex(44)}`, 'glpat-12312312312312312312', `glimt-${highEntropy(30)}`],
  },
  registries: {
    positive: [[npmToken(), 'secret.npm-token'], [`//registry.npmjs.org/:_authToken=${uuid()}`, 'secret.npm-legacy-auth'],
      [`NPM_TOKEN=${uuid()}`, 'secret.npm-legacy-auth'], [`_auth = ${Buffer.from(`ci:${highEntropy(16)}`).toString('base64')}`, 'secret.npm-legacy-auth'],
      [`docker login -u bot -p dckr_pat_${highEntropy(27)}`, 'secret.docker-hub-token'], [`AKCp${highEntropy(69)}`, 'secret.artifactory-token'],
      [`cmVmdGtuOjAxOj${highEntropy(50)}`, 'secret.artifactory-token'], [`pypi-AgEIcHlwaS5vcmc${highEntropy(150)}`, 'secret.pypi-token'],
      [`${randomFrom(BASE62, 42)}+ACR${highEntropy(6)}`, 'secret.azure-container-registry']],
    negative: [`_auth = ${b64(10)}`, `request id ${uuid()}`, 'registry=https://registry.npmjs.org/', 'AKCpXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX'],
  },
  slack: {
    positive: [[`xoxb-${snowflake().slice(0, 12)}-${snowflake().slice(0, 13)}-${highEntropy(24)}`, 'secret.slack-token'],
      [`https://hooks.slack.com/services/T${upperNum(8)}/B${upperNum(8)}/${highEntropy(24)}`, 'secret.slack-webhook']],
    negative: ['xoxb-12345-abcd234', 'xoxb-xoxb-my-bot-token', 'https://example.com/xoxo-2018-250'],
  },
  payments: {
    positive: [[`sk_live_${highEntropy(24)}`, 'secret.stripe-key'], [`sq0atp-${highEntropy(22)}`, 'secret.square-token'],
      [`shpat_${hex(32)}`, 'secret.shopify-token'], [`EAAA${highEntropy(60)}`, 'secret.square-token']],
    negative: [`pk_live_${highEntropy(24)}`, 'shpat_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'],
  },
  messaging: {
    positive: [[`SG.${highEntropy(22)}.${highEntropy(43)}`, 'secret.sendgrid-key'], [`key-${hex(32)}`, 'secret.mailgun-key'],
      [`${hex(32)}-us12`, 'secret.mailchimp-key'], [`${randomFrom('123456789', 1)}${randomFrom('0123456789', 9)}:AA${highEntropy(33)}`, 'secret.telegram-bot-token'],
      [`https://discord.com/api/webhooks/${snowflake()}/${highEntropy(68)}`, 'secret.discord-webhook'],
      [`${Buffer.from(snowflake()).toString('base64').replace(/=+$/, '')}.${highEntropy(6)}.${highEntropy(38)}`, 'secret.discord-bot-token'],
      [`TWILIO_AUTH_TOKEN=${hex(32)}`, 'secret.twilio-key']],
    negative: [`bot110201543:AA${highEntropy(33)}`, `${hex(32).toUpperCase()}-us2`, `${highEntropy(24)}.${highEntropy(6)}.${highEntropy(27)}`],
  },
  ai: {
    positive: [[`sk-proj-${highEntropy(74)}T3BlbkFJ${highEntropy(74)}`, 'secret.openai-key'], [`sk-ant-api03-${highEntropy(93)}AA`, 'secret.anthropic-key'],
      [`HF_TOKEN=hf_${letters(34)}`, 'secret.huggingface-token'], [`api_org_${letters(34)}`, 'secret.huggingface-token']],
    negative: [`sk-ant-api03-${highEntropy(93)}BB`, '- (id)hf_requiredCharacteristicTypesForDisplayMetadata;'],
  },
  gcp: {positive: [[`key=AIza${highEntropy(35)}`, 'secret.google-api-key']], negative: ['apiKey: "AIzaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"']},
  aws: {
    positive: [[`aws_access_key_id = ${awsKeyPair().accessKeyId}`, 'secret.aws-access-key-id'],
      [`"SecretAccessKey": "${awsKeyPair().secretAccessKey}"`, 'secret.aws-secret-key']],
    negative: ['TODAYINASIAASACKOFRICEFELLOVER', 'msgstr "Näytä asiakirjamallikansio."'],
  },
  azure: {
    positive: [[`Endpoint=https://cfg.azconfig.io;Id=${highEntropy(4)}-l0-s0:${highEntropy(20)};Secret=${b64(32)}`, 'secret.azure-app-config'],
      [`client_secret=${highEntropy(3)}8Q~${highEntropy(34)}`, 'secret.azure-ad-client-secret']],
    negative: ['~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~', 'https://x/y?sig=abcdefghijklmnopqrstuvwxyz'],
  },
  cloudflare: {
    positive: [[`CLOUDFLARE_API_TOKEN=${highEntropy(36)}A1b_`, 'secret.cloudflare-api-token'], [`cloudflare_global_api_key = "${hex(37)}"`, 'secret.cloudflare-global-key'],
      [`v1.0-${hex(24)}-${hex(146)}`, 'secret.cloudflare-origin-ca-key']],
    negative: [`cloudflare_zone_id = "${lower(10)}"`],
  },
  observability: {
    positive: [[`DD_API_KEY=${hex(32)}`, 'secret.datadog-key'], [`NRAK-${upperNum(27)}`, 'secret.newrelic-key'],
      [`dsn: https://${hex(32)}@o12345.ingest.sentry.io/678`, 'secret.sentry-dsn'], [`sntryu_${hex(64)}`, 'secret.sentry-token'],
      [`glsa_${highEntropy(32)}_${hex(8)}`, 'secret.grafana-token'],
      [`eyJrIjoi${Buffer.from(`${highEntropy(32)}","n":"ci","id":1}`).toString('base64')}`, 'secret.grafana-token']],
    negative: ['static void GLC_CreateLightmapTextureArray(void);', 'glc_111111111111111111111111111111111111111111='],
  },
  devtools: {
    positive: [[`lin_api_${highEntropy(40)}`, 'secret.linear-key'], [`ntn_${randomFrom('0123456789', 11)}${highEntropy(35)}`, 'secret.notion-token'],
      [`ATATT3${highEntropy(186)}`, 'secret.atlassian-token'], [`ATBB${highEntropy(32)}`, 'secret.bitbucket-token'],
      [`AZURE_DEVOPS_PAT=${randomFrom('abcdefghijklmnopqrstuvwxyz234567', 52)}`, 'secret.azure-devops-pat'],
      [`dapi${hex(32)}`, 'secret.databricks-token'], [`pul-${hex(40)}`, 'secret.pulumi-token'],
      [`token = "${highEntropy(14)}.atlasv1.${highEntropy(67)}"`, 'secret.terraform-token'],
      [`SNYK_TOKEN = "${uuid()}"`, 'secret.snyk-token'], [`squ_${hex(40)}`, 'secret.sonar-token'], [`sgp_${hex(40)}`, 'secret.sourcegraph-token']],
    negative: [randomFrom('abcdefghijklmnopqrstuvwxyz234567', 52), 'ntn_123456789012345678901234567890123456789012345678901234567890',
      'dapi123456789012345678a9bc01234defg5'],
  },
  hosting: {
    positive: [[`HRKU-${highEntropy(60)}`, 'secret.heroku-key'], [`HEROKU_API_KEY=${uuid()}`, 'secret.heroku-key'],
      [`dop_v1_${hex(64)}`, 'secret.digitalocean-token'], [`fo1_${highEntropy(43)}`, 'secret.flyio-token'],
      [`oc login --token=sha256~${highEntropy(43)}`, 'secret.openshift-token']],
    negative: [`id = "${uuid()}"`, 'sha256~XXXXXXXXXX_PUT_YOUR_TOKEN_HERE_XXXXXXXXXXXX'],
  },
  apps: {
    positive: [[`AIRTABLE_TOKEN=pat${highEntropy(14)}.${hex(64)}`, 'secret.airtable-token'],
      [`ADAFRUIT_IO_KEY=aio_${highEntropy(27)}7`, 'secret.adafruit-io-key'], [`fio-u-${highEntropy(64)}`, 'secret.frameio-token']],
    negative: [`path/to/${hex(64)}`, 'aio_ReadTimeoutExceptionHandlersX', `fio-u-${'a'.repeat(64)}`],
  },
  vaults: {
    positive: [[`VAULT_TOKEN=hvs.${highEntropy(95)}`, 'secret.vault-token'], [ageKey(), 'secret.age-secret-key'],
      [`A3-${upperNum(6)}-${upperNum(11)}-${upperNum(5)}-${upperNum(5)}-${upperNum(5)}`, 'secret.onepassword-token'],
      [`dp.pt.${highEntropy(43)}`, 'secret.doppler-token'], [`vault token: s.${highEntropy(21)}aZ9`, 'secret.vault-token']],
    negative: ['s.makeKubeConfigController = args', 's.AcceptanceTimeoutSeconds ', 'A3-XXXXXX-XXXXXXXXXXX-XXXXX-XXXXX-XXXXX'],
  },
  manifests: {
    positive: [[`apiVersion: v1\nkind: Secret\ndata:\n  password: ${b64(18)}\n`, 'secret.kubernetes-secret']],
    negative: ['apiVersion: v1\nkind: Secret\ndata:\n  password: {{ .Values.Password }}\n', 'apiVersion: v1\nkind: ConfigMap\ndata:\n  key: c2VjcmV0dmFsdWUx\n'],
  },
  cli: {
    positive: [[`curl -u deploy:${highEntropy(14)} https://api.internal`, 'secret.curl-credentials'],
      [`curl -H "Authorization: Bearer ${highEntropy(32)}" https://api`, 'secret.curl-credentials'],
      [`docker login registry.internal -u ci -p ${highEntropy(20)}`, 'secret.docker-login-password']],
    negative: ['curl -u "${USER}:${PASS}" https://x', 'curl -u user:pass https://x', 'curl -H "Authorization: Bearer $API_KEY" https://x'],
  },
  jwt: {positive: [[`TOKEN=${jwt('RS256', 4_000_000_000)}`, 'secret.jwt']], negative: ['eyJAAAA.eyJBBB', `eyJ${highEntropy(20)}.eyJ${highEntropy(20)}.${highEntropy(20)}`]},
  uri: {positive: [[`postgres://app:${highEntropy(16)}@db.internal:5432/app`, 'secret.url-credentials']], negative: ['https://url:8000 @something else']},
  generic: {positive: [[`client_secret = "${highEntropy(32)}"`, 'secret.generic-assignment']], negative: ['password = "${DB_PASSWORD}"']},
})

test('every registered detector has samples', (t) => {
  const samples = SAMPLES()
  for (const d of DETECTORS) t.truthy(samples[d.id], `add samples for detector ${d.id} to test/checks/detectors.test.ts`)
})

for (const d of DETECTORS) {
  test(`detector ${d.id}: finds its samples above info, and nothing on its negatives`, (t) => {
    const s = SAMPLES()[d.id]
    if (!s) return t.fail(`no samples for ${d.id}`)
    const path = d.id === 'credential-files' ? '/root/.docker/config.json' : '/srv/app/settings.conf'
    for (const [text, id] of s.positive) {
      const ds = detectInText(text, path)
      t.true(ds.some((x) => x.id === id && x.severity !== 'info'), `${id} in ${JSON.stringify(ds.map((x) => `${x.id}:${x.severity}`))} for ${text.slice(0, 60)}`)
      for (const x of ds) t.false(JSON.stringify({...x, secret: ''}).includes(x.secret), 'the secret stays out of the evidence')
    }
    for (const text of s.negative) {
      // A negative of this detector's format; the generic family still judges any name = value on its own.
      const ds = detectInText(text, path).filter((x) => x.severity !== 'info' && x.id !== 'secret.generic-assignment')
      t.deepEqual(ds.map((x) => x.id), [], `nothing above info for ${text.slice(0, 60)}`)
    }
  })
}

test('an AWS key id and its secret on adjacent lines are one finding, in every common spelling', (t) => {
  const spellings = [
    (id: string, s: string) => `[default]\naws_access_key_id = ${id}\naws_secret_access_key = ${s}\n`,
    (id: string, s: string) => `AWS_ACCESS_KEY_ID=${id}\nAWS_SECRET_ACCESS_KEY=${s}\n`,
    (id: string, s: string) => `{"AccessKeyId": "${id}", "SecretAccessKey": "${s}"}`,
    (id: string, s: string) => `aws_access_key_id: ${id}\naws_secret_access_key: ${s}\n`,
    (id: string, s: string) => `config.access_key_id => '${id}'\nconfig.secret_access_key => '${s}'\n`,
  ]
  for (const spell of spellings) {
    const k = awsKeyPair()
    const ds = detectInText(spell(k.accessKeyId, k.secretAccessKey), '/srv/app/x')
    t.deepEqual(ds.map((d) => `${d.id}:${d.severity}`), ['secret.aws-access-key:critical'], spell('ID', 'SECRET'))
  }
})
