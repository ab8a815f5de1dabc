import {ruleDetector} from '../tokens.js'

export const paymentsDetector = ruleDetector('payments', 1, [
  {
    id: 'secret.stripe-key', title: 'Stripe secret or restricted key', severity: 'high', needles: ['k_live_', 'k_test_'],
    re: /(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{24,247}(?![A-Za-z0-9_])/g,
    check: (t) => (t.includes('_test_') ? {severity: 'low', note: 'test-mode key: no access to live data'} : {}),
  },
])
