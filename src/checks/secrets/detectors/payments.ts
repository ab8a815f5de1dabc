import {B, E, lowVariety, maskedCheck, ruleDetector} from '../tokens.js'

export const paymentsDetector = ruleDetector('payments', 3, [
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
])
