import test from 'ava'
import {detectInText} from '../../src/checks/secrets/index.js'
import {BASE62, randomFrom} from '../support/fake-secrets.js'

/**
 * Issue 10 section 1, second round: prefixed provider tokens, made fresh each run from the alphabet and length each
 * provider issues, written as users leave them (env files, config, code, command lines). Near misses hold the same
 * prefix with a wrong length, a mask, too little variety, an identifier's shape, or sit inside a longer word.
 */
const HEX = '0123456789abcdef'
const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789'
const URLSAFE = `${BASE62}_-`
const r = randomFrom
const found = (text: string) => detectInText(`${text}\n`, '/srv/app/config.txt').filter((d) => d.severity !== 'info')
const ids = (text: string) => found(text).map((d) => d.id.replace('secret.', ''))

/** [family, text, the id it must give] */
const POSITIVES: Array<[string, () => string, string]> = [
  ['OpenRouter', () => `OPENROUTER_API_KEY=sk-or-v1-${r(HEX, 64)}`, 'openrouter-key'],
  ['Tavily dev', () => `tavily_api_key = os.getenv("TAVILY_API_KEY", "tvly-dev-${r(BASE62, 32)}")`, 'tavily-key'],
  ['Tavily', () => `TAVILY_API_KEY=tvly-${r(BASE62, 32)}`, 'tavily-key'],
  ['NVIDIA', () => `api_key="nvapi-${r(URLSAFE, 64)}",`, 'nvidia-key'],
  ['CircleCI personal', () => `'Circle-Token': 'CCIPAT_${r(BASE62, 22)}_${r(HEX, 40)}'`, 'circleci-token'],
  ['CircleCI project', () => `CIRCLE_TOKEN=CCIPRJ_${r(BASE62, 22)}_${r(HEX, 40)}`, 'circleci-token'],
  ['Buildkite', () => `export BUILDKITE_API_TOKEN="bkua_${r(LOWER, 40)}"`, 'buildkite-token'],
  ['Packagist user', () => `composer config --global --auth http-basic.repo.packagist.com token packagist_uut_${r(HEX, 68)}`,
    'packagist-token'],
  ['Packagist org', () => `"password": "packagist_ort_${r(HEX, 68)}"`, 'packagist-token'],
  ['PostHog personal', () => `POSTHOG_PERSONAL_API_KEY=phx_${r(BASE62, 42)}Z7`, 'posthog-key'],
  ['Stripe webhook', () => `STRIPE_WEBHOOK_SECRET=whsec_${r(BASE62, 32)}`, 'stripe-webhook-secret'],
  ['Stripe CLI webhook', () => `whsec_${r(HEX, 64)}`, 'stripe-webhook-secret'],
  ['Svix webhook', () => `SVIX_SECRET="whsec_${r(`${BASE62}+/`, 32)}"`, 'stripe-webhook-secret'],
  ['Flutterwave live', () => `"Authorization: Bearer FLWSECK-${r(HEX, 32)}-X",`, 'flutterwave-key'],
  ['Flutterwave test', () => `FLUTTERWAVE_SECRET_KEY=FLWSECK_TEST-${r(HEX, 32)}-X`, 'flutterwave-key'],
  ['Flutterwave encryption', () => `.setEncryptionKey("FLWSECK_TEST${r(HEX, 12)}")`, 'flutterwave-key'],
  ['Flutterwave encryption, dashed', () => `FLW_ENCRYPTION_KEY=FLWSECK_TEST-${r(HEX, 12)}`, 'flutterwave-key'],
  ['EasyPost live', () => `EASYPOST_API_KEY=EZAK${r(BASE62, 54)}`, 'easypost-key'],
  ['EasyPost test', () => `client = EasyPost::Client.new(api_key: 'EZTK${r(BASE62, 54)}')`, 'easypost-key'],
  ['Duffel live', () => `DUFFEL_ACCESS_TOKEN=duffel_live_${r(URLSAFE, 43)}`, 'duffel-token'],
  ['Duffel test', () => `Authorization: Bearer duffel_test_${r(URLSAFE, 43)}`, 'duffel-token'],
  ['Braintree', () => `BT_ACCESS_TOKEN=access_token$production$${r(LOWER, 16)}$${r(HEX, 32)}`, 'braintree-token'],
  ['Airtable PAT', () => `AIRTABLE_TOKEN=pat${r(BASE62, 14)}.${r(HEX, 64)}`, 'airtable-token'],
  ['Airtable in code', () => `new Airtable({apiKey: 'pat${r(BASE62, 14)}.${r(HEX, 64)}'})`, 'airtable-token'],
  ['Adafruit IO', () => `ADAFRUIT_IO_KEY = "aio_${r(BASE62, 27)}4"`, 'adafruit-io-key'],
  ['Frame.io', () => `TOKEN = 'fio-u-${r(URLSAFE, 64)}'`, 'frameio-token'],
  ['Frame.io in env', () => `FRAMEIO_TOKEN=fio-u-${r(URLSAFE, 64)}`, 'frameio-token'],
  // Prefixes of families that were already covered, each checked here so a later edit cannot drop one.
  ['Stripe restricted', () => `STRIPE_KEY=rk_live_${r(BASE62, 99)}`, 'stripe-key'],
  ...(['shpss_', 'shpca_', 'shppa_', 'shpat_'].map((p) => [`Shopify ${p}`, () => `${p}${r(HEX, 32)}`, 'shopify-token']) as
    Array<[string, () => string, string]>),
  ['Heroku', () => `HEROKU_API_KEY=HRKU-AA${r(URLSAFE.replace('-', ''), 58)}`, 'heroku-key'],
  ...(['glpat-', 'glrt-', 'gldt-', 'glft-', 'glsoat-', 'glcbt-', 'GR1348941'].map((p) =>
    [`GitLab ${p}`, () => `GITLAB_TOKEN=${p}${r(BASE62, 20)}`, 'gitlab-token']) as Array<[string, () => string, string]>),
  ['GitLab trigger', () => `glptt-${r(HEX, 40)}`, 'gitlab-token'],
  ['GitLab incoming mail', () => `glimt-${r(LOWER, 25)}`, 'gitlab-token'],
  ['GitLab agent', () => `glagent-${r(BASE62, 50)}`, 'gitlab-token'],
  ['Slack app-level', () => `SLACK_APP_TOKEN=xapp-1-A0${r('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', 9)}-${r('0123456789', 13)}-${r(HEX, 64)}`,
    'slack-token'],
  ['Slack refresh', () => `xoxe-1-${r(BASE62, 140)}`, 'slack-token'],
  ['Slack rotating', () => `xoxe.xoxp-1-${r(BASE62, 140)}`, 'slack-token'],
  ['Grafana service account', () => `GRAFANA_TOKEN=glsa_${r(BASE62, 32)}_${r(HEX, 8)}`, 'grafana-token'],
  ['Grafana cloud', () => `glc_eyJ${r(BASE62, 60)}`, 'grafana-token'],
]

test('provider tokens: each is found, by the rule that owns it, in the syntaxes users write', (t) => {
  for (const [family, make, id] of POSITIVES) {
    for (let i = 0; i < 5; i++) {
      const text = make()
      t.true(ids(text).includes(id), `${family}: ${ids(text).join(',') || 'nothing'}`)
      for (const d of found(text)) t.false(JSON.stringify({...d, secret: ''}).includes(d.secret), `${family}: printed whole`)
    }
  }
})

test('provider tokens: a test-mode or sandbox key is low, its live twin high', (t) => {
  const sev = (text: string, id: string) => found(text).find((d) => d.id === `secret.${id}`)?.severity
  const pairs: Array<[string, string, string]> = [
    [`FLWSECK-${r(HEX, 32)}-X`, `FLWSECK_TEST-${r(HEX, 32)}-X`, 'flutterwave-key'],
    [`EZAK${r(BASE62, 54)}`, `EZTK${r(BASE62, 54)}`, 'easypost-key'],
    [`duffel_live_${r(BASE62, 43)}`, `duffel_test_${r(BASE62, 43)}`, 'duffel-token'],
    [`access_token$production$${r(LOWER, 16)}$${r(HEX, 32)}`, `access_token$sandbox$${r(LOWER, 16)}$${r(HEX, 32)}`,
      'braintree-token'],
  ]
  for (const [live, sandbox, id] of pairs) {
    t.is(sev(live, id), 'high', live.slice(0, 12))
    t.is(sev(sandbox, id), 'low', sandbox.slice(0, 12))
  }
})

test('provider tokens: near misses (length, mask, variety, identifiers, longer words, public keys) are not reported', (t) => {
  for (const text of [
    // Wrong length.
    `sk-or-v1-${r(HEX, 63)}`, `tvly-dev-${r(BASE62, 31)}`, `nvapi-${r(BASE62, 63)}`, `CCIPAT_${r(BASE62, 22)}_${r(HEX, 39)}`,
    `bkua_${r(LOWER, 39)}`, `packagist_uut_${r(HEX, 67)}`, `phx_${r(BASE62, 40)}`, `whsec_${r(BASE62, 24)}`,
    `FLWSECK-${r(HEX, 31)}-X`, `EZAK${r(BASE62, 53)}`, `duffel_test_${r(BASE62, 42)}`,
    `access_token$production$${r(LOWER, 16)}$${r(HEX, 31)}`, `pat${r(BASE62, 14)}.${r(HEX, 63)}`, `aio_${r(BASE62, 27)}`,
    `fio-u-${r(BASE62, 63)}`,
    // Masks, placeholders and too little variety.
    `sk-or-v1-${'0'.repeat(64)}`, 'OPENROUTER_API_KEY=sk-or-v1-your_key_here', `tvly-dev-${'x'.repeat(32)}`, 'tvly-xxxxx',
    `nvapi-${'x'.repeat(64)}`, 'nvapi-abcdefghijklmnopqrstuvwxyz1234567890', `bkua_${'a'.repeat(40)}`,
    `packagist_out_${'0'.repeat(68)}`, `whsec_${'x'.repeat(32)}`, 'STRIPE_WEBHOOK_SECRET=whsec_your_webhook_secret_here',
    'FLWSECK_TEST-SANDBOXDEMOKEY-X', `FLWSECK-${'a'.repeat(32)}-X`, `EZAK${'a'.repeat(54)}`, `duffel_live_${'x'.repeat(43)}`,
    `access_token$production$${'a'.repeat(16)}$${'0'.repeat(32)}`, `pat${'X'.repeat(14)}.${'0'.repeat(64)}`,
    `fio-u-${'a'.repeat(64)}`, 'ccipat_PLACEHOLDER_syncer_test_value',
    // Identifiers that share a prefix: Phoenix's phx_ names, a camel-case aio_ name, a word after `pat`.
    'phx_click_away_handler_for_the_dropdown_menu_items', 'def aio_ReadTimeoutExceptionHandlersX(self):',
    `pathologicalcases.${r(HEX, 64)}`,
    // Inside a longer word.
    `xsk-or-v1-${r(HEX, 64)}`, `my_nvapi-${r(BASE62, 64)}`, `abkua_${r(LOWER, 40)}`, `tokenEZAK${r(BASE62, 54)}`,
    `${r(HEX, 8)}aio_${r(BASE62, 27)}1`, `spat${r(BASE62, 14)}.${r(HEX, 64)}`, `bkua_${r(LOWER, 40)}${r(LOWER, 3)}`,
    // Public keys by design: Flutterwave's FLWPUBK and PostHog's phc_ go to every browser.
    `FLUTTERWAVE_PUBLIC_KEY=FLWPUBK-${r(HEX, 32)}-X`, `FLWPUBK_TEST-${r(HEX, 32)}-X`,
    `posthog.init('phc_${r(BASE62, 43)}', {api_host: 'https://eu.i.posthog.com'})`,
  ]) {
    t.deepEqual(ids(text), [], text)
  }
})
