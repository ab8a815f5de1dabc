import {B, E, lowVariety, maskedCheck, nameNeedles, NAMED, namedValue, ruleDetector} from '../tokens.js'

/** Cloudflare's three kinds: API tokens and global keys have no prefix, so their name gives them away. */
export const cloudflareDetector = ruleDetector('cloudflare', 1, [
  {
    // The prefixed formats: account (cfat_) and user (cfut_) API tokens, global keys (cfk_); 40 + 8 hex.
    id: 'secret.cloudflare-api-token', title: 'Cloudflare API token', severity: 'high', needles: ['cfat_', 'cfut_', 'cfk_'],
    re: new RegExp(`${B}cf(?:at|ut|k)_[A-Za-z0-9]{40}[a-f0-9]{8}${E}`, 'g'), check: maskedCheck,
  },
  {
    id: 'secret.cloudflare-origin-ca-key', title: 'Cloudflare Origin CA key', severity: 'high', needles: ['v1.0-'],
    re: new RegExp(`${B}v1\\.0-[a-f0-9]{24}-[a-f0-9]{146}${E}`, 'g'),
  },
  {
    id: 'secret.cloudflare-global-key', title: 'Cloudflare global API key', severity: 'critical', needles: nameNeedles('cloudflare', 'cf_api'),
    re: namedValue('cloudflare|cf_api', '[a-f0-9]{37}'), around: NAMED, check: (t) => (lowVariety(t, 8) ? {keep: false} : {}),
  },
  {
    id: 'secret.cloudflare-api-token', title: 'Cloudflare API token', severity: 'high', needles: nameNeedles('cloudflare', 'cf_api'),
    re: namedValue('cloudflare|cf_api', '[A-Za-z0-9_-]{40}'), around: NAMED,
    check: (t) => (lowVariety(t, 10) || !/[0-9]/.test(t) || !/[A-Z]/.test(t) ? {keep: false} : {}),
  },
])
