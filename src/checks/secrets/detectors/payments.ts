import {B, E, lowVariety, maskedCheck, ruleDetector, type Verdict} from '../tokens.js'
import {randomAfter} from '../token-checks.js'

const TEST_MODE: Verdict = {severity: 'low', note: 'test-mode key: no access to live data'}

/** A sandbox or test key moves no money: low, unless it is a mask. */
function modeCheck(isTest: (t: string) => boolean, random: (t: string) => Verdict): (t: string) => Verdict {
  return (t) => {
    const v = random(t)
    return v.keep === false || v.severity !== undefined || !isTest(t) ? v : TEST_MODE
  }
}

/** Flutterwave's secret keys are `FLWSECK[_TEST]-<32 hex>-X`, encryption keys `FLWSECK[_TEST]<12 hex>`. */
function flutterwaveCheck(token: string): Verdict {
  const body = token.replace(/^FLWSECK(?:_TEST)?-?/, '').replace(/-X$/, '')
  return lowVariety(body, body.length > 12 ? 10 : 6) ? {keep: false} : maskedCheck(token)
}

export const paymentsDetector = ruleDetector('payments', 4, [
  {
    id: 'secret.stripe-key', title: 'Stripe secret or restricted key', severity: 'high', needles: ['k_live_', 'k_test_', 'k_prod_'],
    re: /(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test|prod)_[0-9A-Za-z]{24,247}(?![A-Za-z0-9_])/g,
    check: (t) => (t.includes('_test_') ? {severity: 'low', note: 'test-mode key: no access to live data'} : maskedCheck(t)),
  },
  {
    id: 'secret.square-token', title: 'Square access token or OAuth secret', severity: 'high', needles: ['sq0atp-', 'sq0csp-', 'EAAA'],
    re: new RegExp(`${B}(?:sq0atp-[0-9A-Za-z_-]{22}|sq0csp-[0-9A-Za-z_-]{43}|EAAA[A-Za-z0-9_-]{60})${E}`, 'g'), check: maskedCheck,
  },
  {
    id: 'secret.shopify-token', title: 'Shopify access token or shared secret', severity: 'high',
    needles: ['shpat_', 'shpca_', 'shppa_', 'shpss_'],
    re: new RegExp(`${B}shp(?:at|ca|pa|ss)_[A-Za-z0-9]{32,40}${E}`, 'g'), check: maskedCheck,
  },
  {
    id: 'secret.shippo-token', title: 'Shippo API token', severity: 'high', needles: ['shippo_live_', 'shippo_test_'],
    re: new RegExp(`${B}shippo_(?:live|test)_[a-f0-9]{40}${E}`, 'g'),
    check: (t) => (lowVariety(t.slice(12), 10) ? {keep: false}
      : t.includes('_test_') ? {severity: 'low', note: 'test-mode token: no access to live data'} : maskedCheck(t)),
  },
  {
    // Stripe's are base62 and Stripe CLI's 64 hex; Svix, which signs webhooks for many services, writes base64.
    id: 'secret.stripe-webhook-secret', title: 'Webhook signing secret', severity: 'high', needles: ['whsec_'],
    re: /(?<![A-Za-z0-9_-])whsec_[A-Za-z0-9+/]{32,88}={0,2}(?![A-Za-z0-9_+/=-])/g, check: randomAfter(6, 10),
  },
  {
    // FLWPUBK keys are public (they go to the browser): not reported.
    id: 'secret.flutterwave-key', title: 'Flutterwave secret or encryption key', severity: 'high', needles: ['FLWSECK'],
    re: new RegExp(`${B}FLWSECK(?:_TEST)?(?:-[a-hA-H0-9]{32}-X|-?[a-fA-F0-9]{12})${E}`, 'g'),
    check: modeCheck((t) => t.startsWith('FLWSECK_TEST'), flutterwaveCheck),
  },
  {
    id: 'secret.easypost-key', title: 'EasyPost API key', severity: 'high', needles: ['EZAK', 'EZTK'],
    re: new RegExp(`${B}EZ[AT]K[A-Za-z0-9]{54}${E}`, 'g'), check: modeCheck((t) => t.startsWith('EZTK'), randomAfter(4, 12)),
  },
  {
    id: 'secret.duffel-token', title: 'Duffel API token', severity: 'high', needles: ['duffel_test_', 'duffel_live_'],
    re: /(?<![A-Za-z0-9_-])duffel_(?:test|live)_[A-Za-z0-9_=-]{43}(?![A-Za-z0-9_=-])/g,
    check: modeCheck((t) => t.startsWith('duffel_test_'), randomAfter(12, 12)),
  },
  {
    // access_token$<environment>$<16-character merchant id>$<32 hex>.
    id: 'secret.braintree-token', title: 'Braintree (PayPal) access token', severity: 'high',
    needles: ['access_token$production$', 'access_token$sandbox$'],
    re: /(?<![A-Za-z0-9_])access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}(?![A-Za-z0-9_])/g,
    check: modeCheck((t) => t.includes('$sandbox$'), (t) => (lowVariety(t.slice(-32), 8) ? {keep: false} : maskedCheck(t))),
  },
])
